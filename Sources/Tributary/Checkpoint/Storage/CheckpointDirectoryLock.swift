import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive OS lock on a checkpoint directory, held by one process (one
/// running job) at a time.
///
/// Two processes checkpointing into one directory would hand out the same
/// checkpoint ids and overwrite each other's `_timeline`; the second one
/// therefore refuses to start. The lock is `flock(LOCK_EX | LOCK_NB)` on the
/// file `<directory>/_lock`, whose content names the holder (`pid`, host,
/// start time) so the refusal can say who holds it.
///
/// Guarantees:
/// - **Exclusive.** While one `CheckpointDirectoryLock` of a directory is
///   held, acquiring another — in another process or in this one — throws
///   ``CheckpointStorageError/directoryInUse(directory:holder:holderPID:)``.
/// - **Released by the OS.** The lock belongs to an open file description
///   (close-on-exec, so child processes do not inherit it): it ends with
///   ``release()``, when the object is deinitialised, or when the process
///   dies in any way, `kill -9` included. No stale lock is left behind.
/// - **Local file systems and NFS.** Linux emulates `flock` with POSIX
///   byte-range locks on NFS, so instances sharing an NFS directory are
///   excluded too.
/// - **Thread-safety.** `Sendable`; ``release()`` may be called from any
///   thread, more than once.
public final class CheckpointDirectoryLock: Sendable {
  /// The file holding the lock, inside the checkpoint directory.
  public static let fileName = "_lock"

  /// The locked checkpoint directory.
  public let directory: String
  private let descriptor: Mutex<Int32?>

  /// Locks `directory` (created if missing) for this process.
  /// - Parameter holder: who holds the lock, written into the lock file for a
  ///   refused contender's error; by default this process's pid and host.
  /// - Throws: ``CheckpointStorageError/directoryInUse(directory:holder:holderPID:)``
  ///   when another holder has it, ``CheckpointStorageError/io(operation:path:errno:)``
  ///   when the directory or the lock file cannot be created.
  public init(directory: String, holder: String = CheckpointDirectoryLock.processDescription())
    throws(CheckpointStorageError)
  {
    var path = directory
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    self.directory = path
    try DurableFileIO.makeDirectories(path, below: "/")
    let file = path + "/" + Self.fileName
    let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .io(operation: "open the lock file", path: file, errno: errno) }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      let content = Self.readAll(fd)
      close(fd)
      guard code == EWOULDBLOCK || code == EAGAIN else {
        throw .io(operation: "lock", path: file, errno: code)
      }
      let described = content.trimmingWhitespace
      throw .directoryInUse(
        directory: path,
        holder: described.isEmpty ? "a process that is still starting" : described,
        holderPID: Self.pid(in: described))
    }
    // Ours: say who holds it. Failing to write only makes a refusal less precise.
    let text = holder + "\n"
    _ = ftruncate(fd, 0)
    _ = text.utf8CString.withUnsafeBufferPointer { buffer in
      pwrite(fd, buffer.baseAddress, buffer.count - 1, 0)
    }
    descriptor = Mutex(fd)
  }

  deinit { release() }

  /// Releases the lock (closing its file); the file itself stays. Idempotent.
  public func release() {
    descriptor.withLock { fd in
      if let open = fd { close(open) }
      fd = nil
    }
  }

  /// The file holding the directory's last generation.
  public static let generationFileName = "_generation"

  /// The next generation of the job checkpointing into this directory: one more
  /// than every generation handed out before (1 the first time), durable before
  /// it is returned — `_generation` is replaced atomically (temporary file, fsync,
  /// rename, directory fsync). A scaled-out job's exchange tags an incarnation's
  /// messages with it, so it must grow across crashes and restarts
  /// (docs/scale-out.md); holding the lock makes the read and the write one step.
  /// - Throws: ``CheckpointStorageError/io(operation:path:errno:)`` when the file
  ///   cannot be written, ``CheckpointStorageError/corruptMetadata(path:reason:)``
  ///   when it holds something else than a number (never silently restarting at 1),
  ///   ``CheckpointStorageError/invalidArgument(_:)`` after ``release()``.
  public func nextGeneration() throws(CheckpointStorageError) -> UInt64 {
    guard descriptor.withLock({ $0 != nil }) else {
      throw .invalidArgument("the lock of \(directory) was released; generations need it held")
    }
    let file = directory + "/" + Self.generationFileName
    var last: UInt64 = 0
    if let bytes = try DurableFileIO.readFile(file) {
      let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
      guard let value = UInt64(text) else {
        throw .corruptMetadata(
          path: file, reason: "expected a generation number, found '\(text.prefix(40))'")
      }
      last = value
    }
    let next = last + 1
    let temporary = directory + "/" + CheckpointLayout.temporaryPrefix + "generation-\(getpid())"
    do {
      try? DurableFileIO.removeFile(temporary)
      try DurableFileIO.writeNewFile(temporary, bytes: Array("\(next)\n".utf8))
      try DurableFileIO.rename(temporary, to: file)
    } catch {
      try? DurableFileIO.removeFile(temporary)
      throw error
    }
    try DurableFileIO.syncDirectory(directory)
    return next
  }

  /// "pid P on host H", naming this process in the lock file.
  public static func processDescription() -> String {
    var name = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&name, name.count - 1) == 0
      ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      : "unknown"
    return "pid \(getpid()) on host \(host)"
  }

  /// The pid in a holder description "pid P …", if any.
  static func pid(in description: String) -> Int32? {
    let words = description.split(separator: " ")
    guard let index = words.firstIndex(of: "pid"), index + 1 < words.count else { return nil }
    return Int32(words[index + 1])
  }

  private static func readAll(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 512)
    var offset: off_t = 0
    while bytes.count < 4096 {
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
      if n <= 0 { break }
      bytes += buffer[0..<n]
      offset += off_t(n)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

extension String {
  fileprivate var trimmingWhitespace: String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }
}
