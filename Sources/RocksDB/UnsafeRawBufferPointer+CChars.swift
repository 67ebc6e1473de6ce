extension UnsafeRawBufferPointer {
  /// The bytes viewed as the `const char*` RocksDB's C API expects (nil for an empty buffer,
  /// which RocksDB reads as an empty slice because the length is 0).
  @inline(__always)
  var cChars: UnsafePointer<CChar>? {
    baseAddress?.assumingMemoryBound(to: CChar.self)
  }
}
