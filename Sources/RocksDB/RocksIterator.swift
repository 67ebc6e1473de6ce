import CRocksDB

/// A cursor over a database's key-value pairs in ascending bytewise key order, optionally
/// restricted to a key range (bounds are enforced by RocksDB itself).
///
/// Not thread-safe: use from one thread at a time. Keeps its `RocksDB` alive; if the
/// database is closed explicitly, the iterator becomes invalid and `checkError()` throws.
/// Read errors end the iteration (`isValid` turns false) and are reported by `checkError()`.
public final class RocksIterator {
  private let database: RocksDB
  private let native: IteratorHandle

  init(database: RocksDB, native: IteratorHandle) {
    self.database = database
    self.native = native
  }

  deinit { database.releaseIterator(native) }

  /// Whether the iterator is positioned on an entry. False past either end, after an
  /// error, and after the database was closed.
  public var isValid: Bool {
    guard let iterator = native.iterator else { return false }
    return rocksdb_iter_valid(iterator) != 0
  }

  /// Positions on the first entry in range (the lower bound, if any).
  public func seekToFirst() {
    if let iterator = native.iterator { rocksdb_iter_seek_to_first(iterator) }
  }

  /// Positions on the last entry in range (before the upper bound, if any).
  public func seekToLast() {
    if let iterator = native.iterator { rocksdb_iter_seek_to_last(iterator) }
  }

  /// Positions on the first entry whose key is at or after `target`.
  public func seek(_ target: [UInt8]) {
    target.withUnsafeBytes { seek($0) }
  }

  /// Positions on the first entry whose key is at or after `target` (no copy of `target`).
  public func seek(_ target: UnsafeRawBufferPointer) {
    if let iterator = native.iterator { rocksdb_iter_seek(iterator, target.cChars, target.count) }
  }

  /// Moves to the next entry. Requires `isValid`.
  public func next() {
    precondition(isValid, "RocksIterator.next() requires a valid iterator")
    rocksdb_iter_next(native.iterator!)
  }

  /// Moves to the previous entry. Requires `isValid`.
  public func previous() {
    precondition(isValid, "RocksIterator.previous() requires a valid iterator")
    rocksdb_iter_prev(native.iterator!)
  }

  /// A copy of the current key. Requires `isValid`.
  public func key() -> [UInt8] { [UInt8](rawKey()) }

  /// A copy of the current value. Requires `isValid`.
  public func value() -> [UInt8] { [UInt8](rawValue()) }

  /// Calls `body` with the current key and value without copying them; the buffers are only
  /// valid during the call. Requires `isValid`.
  public func withEntry<R, E: Error>(
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try body(rawKey(), rawValue())
  }

  /// Throws the error that stopped the iteration, if any, as a `RocksDBError` (operation
  /// "iterate"); also throws once the database is closed.
  public func checkError() throws(RocksDBError) {
    guard let iterator = native.iterator else { throw RocksDBError.closed("iterate") }
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_iter_get_error(iterator, &error)
    try RocksDBError.check(error, "iterate")
  }

  /// The current key, valid until the iterator moves. Requires `isValid`.
  func rawKey() -> UnsafeRawBufferPointer {
    precondition(isValid, "RocksIterator.key() requires a valid iterator")
    var length = 0
    let pointer = rocksdb_iter_key(native.iterator!, &length)
    return UnsafeRawBufferPointer(start: pointer, count: length)
  }

  /// The current value, valid until the iterator moves. Requires `isValid`.
  func rawValue() -> UnsafeRawBufferPointer {
    precondition(isValid, "RocksIterator.value() requires a valid iterator")
    var length = 0
    let pointer = rocksdb_iter_value(native.iterator!, &length)
    return UnsafeRawBufferPointer(start: pointer, count: length)
  }
}

@available(*, unavailable)
extension RocksIterator: Sendable {}
