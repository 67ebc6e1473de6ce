/// Key-range arithmetic for prefix scans over RocksDB's bytewise key order.
enum PrefixBounds {
  /// The smallest key greater than every key starting with `prefix`, or nil when no such
  /// key exists (the prefix is empty or all 0xFF bytes): then every key at or after
  /// `prefix` starts with it, so the scan needs no upper bound.
  static func upperBound(for prefix: [UInt8]) -> [UInt8]? {
    var bound = prefix
    while let last = bound.last {
      if last < 0xFF {
        bound[bound.count - 1] = last + 1
        return bound
      }
      bound.removeLast()
    }
    return nil
  }
}
