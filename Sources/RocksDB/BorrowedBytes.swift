/// Typed-throws wrappers around `withUnsafeBytes` (whose standard-library form is only
/// `rethrows`), so `[UInt8]` convenience overloads can forward to the raw-buffer ones while
/// still throwing `RocksDBError`. No copies: the buffers borrow the arrays' storage.
enum BorrowedBytes {
  /// Calls `body` with the bytes of `bytes`.
  @inline(__always)
  static func with<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(RocksDBError) -> R
  ) throws(RocksDBError) -> R {
    try bytes.withUnsafeBytes { buffer in
      Self.capture { () throws(RocksDBError) in try body(buffer) }
    }
    .get()
  }

  /// Calls `body` with the bytes of `bytes`.
  @inline(__always)
  static func with<R>(
    _ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) throws(RocksDBError) -> R
  ) throws(RocksDBError) -> R {
    try bytes.withUnsafeBytes { buffer in
      Self.capture { () throws(RocksDBError) in try body(buffer) }
    }
    .get()
  }

  /// Calls `body` with the bytes of `first` and `second`.
  @inline(__always)
  static func with<R>(
    _ first: [UInt8], _ second: [UInt8],
    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(RocksDBError) -> R
  ) throws(RocksDBError) -> R {
    try with(first) { (first) throws(RocksDBError) in
      try with(second) { (second) throws(RocksDBError) in try body(first, second) }
    }
  }

  @inline(__always)
  private static func capture<R>(
    _ body: () throws(RocksDBError) -> R
  ) -> Result<R, RocksDBError> {
    do throws(RocksDBError) {
      return .success(try body())
    } catch {
      return .failure(error)
    }
  }
}
