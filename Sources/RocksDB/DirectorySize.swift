#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Sums file sizes in a directory with POSIX calls (no Foundation).
enum DirectorySize {
  /// The total size of the regular files directly inside `path` (not recursive).
  /// Throws `RocksDBError` (operation "disk usage <path>") with the OS error if `path`
  /// cannot be opened; files vanishing meanwhile (e.g. compacted away) are skipped.
  static func regularFileBytes(in path: String) throws(RocksDBError) -> UInt64 {
    guard let directory = opendir(path) else {
      throw RocksDBError(
        operation: "disk usage \(path)", message: String(cString: strerror(errno)))
    }
    defer { closedir(directory) }
    var total: UInt64 = 0
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name == "." || name == ".." { continue }
      var info = stat()
      guard stat(path + "/" + name, &info) == 0 else { continue }
      if info.st_mode & S_IFMT == S_IFREG { total += UInt64(info.st_size) }
    }
    return total
  }
}
