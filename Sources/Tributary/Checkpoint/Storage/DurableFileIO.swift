#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The POSIX file operations checkpoint storage is built on, each reporting
/// failure as ``CheckpointStorageError/io(operation:path:errno:)``.
///
/// "Durable" operations fsync what they wrote before returning; directory
/// changes (create, rename, unlink) become durable only after
/// ``syncDirectory(_:)`` on the parent, which callers do explicitly. Stateless;
/// safe from any thread (each call uses its own descriptors and buffer).
enum DurableFileIO {
  /// Read/write chunk size for streaming copies and checksums.
  static let chunkSize = 1 << 20

  /// What `stat` says about a path.
  struct Status {
    var isDirectory: Bool
    var isRegularFile: Bool
    var size: Int64
  }

  /// The status of `path` (following symlinks), or `nil` if it does not exist.
  static func status(_ path: String) throws(CheckpointStorageError) -> Status? {
    var info = stat()
    if stat(path, &info) != 0 {
      let code = errno
      if code == ENOENT || code == ENOTDIR { return nil }
      throw .io(operation: "stat", path: path, errno: code)
    }
    let type = info.st_mode & S_IFMT
    return Status(
      isDirectory: type == S_IFDIR, isRegularFile: type == S_IFREG, size: Int64(info.st_size))
  }

  /// Creates `path` and missing parents below `root` (which must exist),
  /// fsyncing each parent whose entries changed.
  static func makeDirectories(_ path: String, below root: String) throws(CheckpointStorageError) {
    if try status(path)?.isDirectory == true { return }
    let parent = parentPath(of: path)
    if parent != path && parent.count > root.count {
      try makeDirectories(parent, below: root)
    }
    if mkdir(path, 0o755) != 0 {
      let code = errno
      if code != EEXIST { throw .io(operation: "create directory", path: path, errno: code) }
      if try status(path)?.isDirectory != true {
        throw .io(operation: "create directory", path: path, errno: ENOTDIR)
      }
      return
    }
    try syncDirectory(parent)
  }

  /// Writes `bytes` to a new file at `path` (which must not exist) and fsyncs it.
  static func writeNewFile(_ path: String, bytes: [UInt8]) throws(CheckpointStorageError) {
    let fd = try openNew(path)
    var failure: CheckpointStorageError?
    bytes.withUnsafeBytes { buffer in
      do throws(CheckpointStorageError) {
        try writeAll(fd, buffer, path: path)
      } catch { failure = error }
    }
    if let failure {
      close(fd)
      throw failure
    }
    try syncAndClose(fd, path: path)
  }

  /// Copies `source` to a new file `destination` (which must not exist),
  /// fsyncs it, and returns the fingerprint of the bytes written.
  static func copyFile(from source: String, to destination: String)
    throws(CheckpointStorageError) -> FileFingerprint
  {
    let input = try openForReading(source)
    defer { close(input) }
    let output = try openNew(destination)
    var crc = CRC32C()
    var total: Int64 = 0
    do throws(CheckpointStorageError) {
      try forEachChunk(input, path: source) { (chunk) throws(CheckpointStorageError) in
        crc.update(chunk)
        total += Int64(chunk.count)
        try writeAll(output, chunk, path: destination)
      }
    } catch {
      close(output)
      throw error
    }
    try syncAndClose(output, path: destination)
    return FileFingerprint(size: total, checksum: crc.value)
  }

  /// Reads `path` completely and returns its fingerprint.
  static func fingerprint(ofFileAt path: String) throws(CheckpointStorageError) -> FileFingerprint {
    let fd = try openForReading(path)
    defer { close(fd) }
    var crc = CRC32C()
    var total: Int64 = 0
    try forEachChunk(fd, path: path) { chunk in
      crc.update(chunk)
      total += Int64(chunk.count)
    }
    return FileFingerprint(size: total, checksum: crc.value)
  }

  /// The whole content of `path`, or `nil` if it does not exist.
  static func readFile(_ path: String) throws(CheckpointStorageError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let code = errno
      if code == ENOENT { return nil }
      throw .io(operation: "open", path: path, errno: code)
    }
    defer { close(fd) }
    var result: [UInt8] = []
    try forEachChunk(fd, path: path) { chunk in result.append(contentsOf: chunk) }
    return result
  }

  /// Flushes an existing file's data to disk.
  static func syncFile(_ path: String) throws(CheckpointStorageError) {
    let fd = try openForReading(path)
    defer { close(fd) }
    if fsync(fd) != 0 { throw .io(operation: "fsync", path: path, errno: errno) }
  }

  /// Makes the entries of directory `path` (creations, renames, removals) durable.
  static func syncDirectory(_ path: String) throws(CheckpointStorageError) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw .io(operation: "open directory", path: path, errno: errno) }
    defer { close(fd) }
    if fsync(fd) != 0 {
      let code = errno
      // Some file systems cannot fsync directories; their renames are ordered anyway.
      if code != EINVAL && code != ENOTSUP {
        throw .io(operation: "fsync directory", path: path, errno: code)
      }
    }
  }

  /// Atomically renames `source` to `destination`, replacing it if present.
  static func rename(_ source: String, to destination: String) throws(CheckpointStorageError) {
    #if canImport(Glibc)
      let result = Glibc.rename(source, destination)
    #else
      let result = Darwin.rename(source, destination)
    #endif
    if result != 0 { throw .io(operation: "rename \(source) to", path: destination, errno: errno) }
  }

  /// Removes the file `path`; a missing file is not an error.
  static func removeFile(_ path: String) throws(CheckpointStorageError) {
    if unlink(path) != 0 {
      let code = errno
      if code != ENOENT { throw .io(operation: "delete", path: path, errno: code) }
    }
  }

  /// Removes `path` and everything below it (symlinks are removed, not
  /// followed); a missing path is not an error. An entry created inside a
  /// directory while it is being removed is removed too (the directory is
  /// listed again, up to `attempts` times, before "Directory not empty" is
  /// thrown). `emptied` is called with each directory's path after its
  /// entries were removed, just before the directory is deleted (tests create
  /// an entry there).
  static func removeTree(
    _ path: String, attempts: Int = 5, emptied: (String) -> Void = { _ in }
  ) throws(CheckpointStorageError) {
    var info = stat()
    if lstat(path, &info) != 0 {
      let code = errno
      if code == ENOENT { return }
      throw .io(operation: "stat", path: path, errno: code)
    }
    guard info.st_mode & S_IFMT == S_IFDIR else { return try removeFile(path) }
    let limit = max(1, attempts)
    for attempt in 1...limit {
      for name in try list(path) {
        try removeTree(path + "/" + name, attempts: attempts, emptied: emptied)
      }
      emptied(path)
      if rmdir(path) == 0 { return }
      let code = errno
      if code == ENOENT { return }
      // Not empty (EEXIST on some systems): something was created meanwhile.
      if (code != ENOTEMPTY && code != EEXIST) || attempt == limit {
        throw .io(operation: "delete directory", path: path, errno: code)
      }
    }
  }

  /// The entry names of directory `path` (without `.` and `..`), or `[]` if it
  /// does not exist.
  static func list(_ path: String) throws(CheckpointStorageError) -> [String] {
    guard let directory = opendir(path) else {
      let code = errno
      if code == ENOENT { return [] }
      throw .io(operation: "list", path: path, errno: code)
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
        pointer.withMemoryRebound(
          to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)
        ) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Regular files below `path`, as paths relative to it, recursively.
  static func listFilesRecursively(_ path: String) throws(CheckpointStorageError) -> [String] {
    var result: [String] = []
    for name in try list(path) {
      let full = path + "/" + name
      guard let info = try status(full) else { continue }
      if info.isDirectory {
        result += try listFilesRecursively(full).map { name + "/" + $0 }
      } else {
        result.append(name)
      }
    }
    return result
  }

  /// `path` without its last component.
  static func parentPath(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  // MARK: - Descriptors

  private static func openNew(_ path: String) throws(CheckpointStorageError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw .io(operation: "create", path: path, errno: errno) }
    return fd
  }

  private static func openForReading(_ path: String) throws(CheckpointStorageError) -> Int32 {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(operation: "open", path: path, errno: errno) }
    return fd
  }

  private static func syncAndClose(_ fd: Int32, path: String) throws(CheckpointStorageError) {
    if fsync(fd) != 0 {
      let code = errno
      close(fd)
      throw .io(operation: "fsync", path: path, errno: code)
    }
    if close(fd) != 0 { throw .io(operation: "close", path: path, errno: errno) }
  }

  private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String)
    throws(CheckpointStorageError)
  {
    guard var pointer = buffer.baseAddress else { return }
    var remaining = buffer.count
    while remaining > 0 {
      let written = write(fd, pointer, remaining)
      if written < 0 {
        if errno == EINTR { continue }
        throw .io(operation: "write", path: path, errno: errno)
      }
      pointer += written
      remaining -= written
    }
  }

  /// Reads `fd` to the end in chunks of at most ``chunkSize`` bytes.
  private static func forEachChunk(
    _ fd: Int32, path: String,
    _ body: (UnsafeRawBufferPointer) throws(CheckpointStorageError) -> Void
  ) throws(CheckpointStorageError) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = read(fd, buffer.baseAddress, chunkSize)
      if count < 0 {
        if errno == EINTR { continue }
        throw .io(operation: "read", path: path, errno: errno)
      }
      if count == 0 { return }
      try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
  }
}
