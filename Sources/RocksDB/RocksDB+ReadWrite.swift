import CRocksDB

extension RocksDB {
  /// The value stored under `key`, or nil if there is none.
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "get") on a read error (including a
  /// failed merge) or a closed database.
  public func get(_ key: [UInt8]) throws(RocksDBError) -> [UInt8]? {
    try BorrowedBytes.with(key) { (key) throws(RocksDBError) in try get(key) }
  }

  /// `get(_:)` for a slice key, without copying the key.
  public func get(_ key: ArraySlice<UInt8>) throws(RocksDBError) -> [UInt8]? {
    try BorrowedBytes.with(key) { (key) throws(RocksDBError) in try get(key) }
  }

  /// `get(_:)` for a key in borrowed memory, without copying the key.
  public func get(_ key: UnsafeRawBufferPointer) throws(RocksDBError) -> [UInt8]? {
    guard let pinned = try pinnedValue(key) else { return nil }
    defer { rocksdb_pinnableslice_destroy(pinned) }
    return [UInt8](Self.bytes(of: pinned))
  }

  /// Calls `body` with the value stored under `key` (nil if none) without copying it into
  /// Swift memory; the buffer is only valid during the call.
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "get") on a read error or a closed
  /// database, and rethrows `body`'s errors.
  public func withValue<R>(
    forKey key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R
  ) throws -> R {
    guard let pinned = try pinnedValue(key) else { return try body(nil) }
    defer { rocksdb_pinnableslice_destroy(pinned) }
    return try body(Self.bytes(of: pinned))
  }

  /// `withValue(forKey:_:)` for an array key.
  public func withValue<R>(
    forKey key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R
  ) throws -> R {
    try key.withUnsafeBytes { key in try withValue(forKey: key, body) }
  }

  /// Stores `value` under `key`, replacing any previous value.
  ///
  /// Thread-safe; skips the WAL when `options.disableWAL`. Throws `RocksDBError`
  /// (operation "put") on a write error or a closed database.
  public func put(_ key: [UInt8], _ value: [UInt8]) throws(RocksDBError) {
    try BorrowedBytes.with(key, value) { (key, value) throws(RocksDBError) in try put(key, value) }
  }

  /// `put(_:_:)` for key and value in borrowed memory, without copying them in Swift.
  public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer)
    throws(RocksDBError)
  {
    let handle = try openHandle("put")
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_put(
      handle, native.writeOptions, key.cChars, key.count, value.cChars, value.count, &error)
    try RocksDBError.check(error, "put")
  }

  /// Removes `key` (a no-op if absent).
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "delete") on a write error or a closed
  /// database.
  public func delete(_ key: [UInt8]) throws(RocksDBError) {
    try BorrowedBytes.with(key) { (key) throws(RocksDBError) in try delete(key) }
  }

  /// `delete(_:)` for a key in borrowed memory.
  public func delete(_ key: UnsafeRawBufferPointer) throws(RocksDBError) {
    let handle = try openHandle("delete")
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_delete(handle, native.writeOptions, key.cChars, key.count, &error)
    try RocksDBError.check(error, "delete")
  }

  /// Removes every key `start <= key < end` atomically (a range tombstone).
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "deleteRange") on a write error or a
  /// closed database.
  public func deleteRange(from start: [UInt8], to end: [UInt8]) throws(RocksDBError) {
    let batch = WriteBatch()
    batch.deleteRange(from: start, to: end)
    try write(batch, operation: "deleteRange")
  }

  /// Records `operand` for `key`; reads combine it through `options.mergeOperator`.
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "merge") on a write error, a closed
  /// database, or when no merge operator is configured.
  public func merge(_ key: [UInt8], _ operand: [UInt8]) throws(RocksDBError) {
    try BorrowedBytes.with(key, operand) { (key, operand) throws(RocksDBError) in
      try merge(key, operand)
    }
  }

  /// `merge(_:_:)` for key and operand in borrowed memory.
  public func merge(_ key: UnsafeRawBufferPointer, _ operand: UnsafeRawBufferPointer)
    throws(RocksDBError)
  {
    let handle = try openHandle("merge")
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_merge(
      handle, native.writeOptions, key.cChars, key.count, operand.cChars, operand.count, &error)
    try RocksDBError.check(error, "merge")
  }

  /// Applies every operation in `batch` atomically: all of them or none become visible.
  /// The batch is left unchanged (call `clear()` to reuse it).
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "write") on a write error or a closed
  /// database.
  public func write(_ batch: WriteBatch) throws(RocksDBError) {
    try write(batch, operation: "write")
  }

  private func write(_ batch: WriteBatch, operation: StaticString) throws(RocksDBError) {
    let handle = try openHandle("\(operation)")
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_write(handle, native.writeOptions, batch.handle, &error)
    try RocksDBError.check(error, "\(operation)")
  }

  /// Looks `key` up, returning the pinned slice (to destroy) or nil when absent.
  private func pinnedValue(_ key: UnsafeRawBufferPointer) throws(RocksDBError) -> OpaquePointer? {
    let handle = try openHandle("get")
    var error: UnsafeMutablePointer<CChar>?
    let pinned = rocksdb_get_pinned(handle, native.readOptions, key.cChars, key.count, &error)
    if let error {
      if let pinned { rocksdb_pinnableslice_destroy(pinned) }
      throw RocksDBError.consuming(error, operation: "get")
    }
    return pinned
  }

  private static func bytes(of pinned: OpaquePointer) -> UnsafeRawBufferPointer {
    var length = 0
    let pointer = rocksdb_pinnableslice_value(pinned, &length)
    return UnsafeRawBufferPointer(start: pointer, count: length)
  }
}
