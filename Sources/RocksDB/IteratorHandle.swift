import CRocksDB

/// The native state behind one `RocksIterator`: the `rocksdb_iterator_t*`, its read options,
/// and the bound buffers those read options point into (RocksDB does not copy bounds).
///
/// `destroy()` frees everything exactly once; it is called by whichever of the iterator's
/// deinit and `RocksDB.close()` removes the handle from the database's registry (under its
/// lock), hence `@unchecked Sendable`. Otherwise used by one thread at a time.
final class IteratorHandle: @unchecked Sendable {
  private(set) var iterator: OpaquePointer?
  private var readOptions: OpaquePointer?
  private var lowerBound: UnsafeMutableRawBufferPointer?
  private var upperBound: UnsafeMutableRawBufferPointer?

  /// Creates an iterator over `database` restricted to `lower <= key < upper`.
  init(database: OpaquePointer, lower: [UInt8]?, upper: [UInt8]?) {
    let readOptions = rocksdb_readoptions_create()!
    lowerBound = lower.map(Self.copy)
    upperBound = upper.map(Self.copy)
    if let lowerBound, let lower {
      rocksdb_readoptions_set_iterate_lower_bound(
        readOptions, lowerBound.baseAddress!.assumingMemoryBound(to: CChar.self), lower.count)
    }
    if let upperBound, let upper {
      rocksdb_readoptions_set_iterate_upper_bound(
        readOptions, upperBound.baseAddress!.assumingMemoryBound(to: CChar.self), upper.count)
    }
    self.readOptions = readOptions
    self.iterator = rocksdb_create_iterator(database, readOptions)
  }

  deinit { destroy() }

  /// Frees the iterator, its read options and its bound buffers; later calls do nothing.
  func destroy() {
    if let iterator { rocksdb_iter_destroy(iterator) }
    if let readOptions { rocksdb_readoptions_destroy(readOptions) }
    lowerBound?.deallocate()
    upperBound?.deallocate()
    iterator = nil
    readOptions = nil
    lowerBound = nil
    upperBound = nil
  }

  /// A heap copy of `bytes` with a non-nil base address even when empty (a nil pointer
  /// would make RocksDB drop the bound instead of using the empty key).
  private static func copy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: max(bytes.count, 1), alignment: 1)
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    return buffer
  }
}
