import CRocksDB

/// A set of writes applied atomically by `RocksDB.write(_:)`.
///
/// Not thread-safe: build it on one thread. Operations are recorded in order (a later
/// operation on the same key wins) and cannot fail; errors surface when it is written.
public final class WriteBatch {
  /// The `rocksdb_writebatch_t*`, owned and freed on deinit.
  let handle: OpaquePointer

  /// Creates an empty batch.
  public init() {
    handle = rocksdb_writebatch_create()
  }

  deinit { rocksdb_writebatch_destroy(handle) }

  /// The number of operations recorded.
  public var count: Int { Int(rocksdb_writebatch_count(handle)) }

  /// Removes every recorded operation so the batch can be reused.
  public func clear() { rocksdb_writebatch_clear(handle) }

  /// Records storing `value` under `key`.
  public func put(_ key: [UInt8], _ value: [UInt8]) {
    key.withUnsafeBytes { key in value.withUnsafeBytes { value in put(key, value) } }
  }

  /// Records storing `value` under `key` (both copied into the batch).
  public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
    rocksdb_writebatch_put(handle, key.cChars, key.count, value.cChars, value.count)
  }

  /// Records removing `key`.
  public func delete(_ key: [UInt8]) {
    key.withUnsafeBytes { delete($0) }
  }

  /// Records removing `key` (copied into the batch).
  public func delete(_ key: UnsafeRawBufferPointer) {
    rocksdb_writebatch_delete(handle, key.cChars, key.count)
  }

  /// Records removing every key `start <= key < end`.
  public func deleteRange(from start: [UInt8], to end: [UInt8]) {
    start.withUnsafeBytes { start in
      end.withUnsafeBytes { end in
        rocksdb_writebatch_delete_range(handle, start.cChars, start.count, end.cChars, end.count)
      }
    }
  }

  /// Records a merge `operand` for `key` (needs a merge operator when written).
  public func merge(_ key: [UInt8], _ operand: [UInt8]) {
    key.withUnsafeBytes { key in operand.withUnsafeBytes { operand in merge(key, operand) } }
  }

  /// Records a merge `operand` for `key` (both copied into the batch).
  public func merge(_ key: UnsafeRawBufferPointer, _ operand: UnsafeRawBufferPointer) {
    rocksdb_writebatch_merge(handle, key.cChars, key.count, operand.cChars, operand.count)
  }
}

@available(*, unavailable)
extension WriteBatch: Sendable {}
