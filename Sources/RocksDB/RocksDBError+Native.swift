import CRocksDB

extension RocksDBError {
  /// Builds an error from a RocksDB-allocated message and frees that message with `rocksdb_free`.
  static func consuming(
    _ message: UnsafeMutablePointer<CChar>, operation: String
  ) -> RocksDBError {
    defer { rocksdb_free(message) }
    return RocksDBError(operation: operation, message: String(cString: message))
  }

  /// The error thrown by every operation on a database (or iterator) after `close()`.
  static func closed(_ operation: String) -> RocksDBError {
    RocksDBError(operation: operation, message: "database is closed")
  }

  /// Throws if RocksDB reported an error through `errptr`; the message is freed either way.
  ///
  /// `operation` is only evaluated on failure, so hot paths pay nothing for describing it.
  @inline(__always)
  static func check(
    _ error: UnsafeMutablePointer<CChar>?, _ operation: @autoclosure () -> String
  ) throws(RocksDBError) {
    if let error {
      throw consuming(error, operation: operation())
    }
  }
}
