/// An error reported by RocksDB, carrying RocksDB's own message.
public struct RocksDBError: Error, CustomStringConvertible, Sendable {
  /// What Tributary was doing when RocksDB failed (e.g. "open /tmp/db").
  public let operation: String
  /// RocksDB's message, verbatim.
  public let message: String

  /// Creates an error for `operation` with RocksDB's `message`.
  public init(operation: String, message: String) {
    self.operation = operation
    self.message = message
  }

  public var description: String { "RocksDB \(operation) failed: \(message)" }
}
