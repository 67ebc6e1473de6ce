/// How a `RocksDB` instance is opened and tuned.
///
/// A plain value: `Sendable`, freely copyable, and only read when a database is opened.
/// The defaults suit Tributary's state stores: durability comes from Tributary checkpoints,
/// so writes skip RocksDB's write-ahead log unless `disableWAL` is set to `false`.
public struct RocksDBOptions: Sendable {
  /// A merge function: combines the existing value of `key` (nil if absent) with the merge
  /// `operands` (oldest first) into the new value.
  ///
  /// RocksDB calls it from any of its threads (reads, flushes, compactions), possibly
  /// concurrently, so it must be pure and thread-safe. Returning nil reports a failed merge:
  /// RocksDB then fails the read (or compaction) touching that key with a corruption error.
  public typealias MergeFunction =
    @Sendable (_ key: [UInt8], _ existing: [UInt8]?, _ operands: [[UInt8]]) -> [UInt8]?

  /// Create the database if the directory holds none (default true).
  public var createIfMissing: Bool
  /// Capacity of the LRU block cache in bytes (default 64 MiB).
  public var blockCacheBytes: Int
  /// Size of one memtable in bytes before it is flushed (default 64 MiB).
  public var writeBufferBytes: Int
  /// Block compression (default lz4). If the linked librocksdb lacks it, opening falls back
  /// to the next cheaper codec (zstd, lz4, snappy, none); see `RocksDB.compression`.
  public var compression: Compression
  /// Upper bound on concurrent background flushes and compactions (default 2).
  public var maxBackgroundJobs: Int
  /// Bits per key of the Bloom filters in table files and memtables (default 10, about 1 %
  /// false positives; 0 = none). A read of a key the database does not hold then skips
  /// the memtable's skip list and every table file whose filter rules the key out, instead
  /// of searching each; state backends read many such keys (a new window, a new timer).
  public var bloomBitsPerKey: Double
  /// Skip the write-ahead log for every write (default true). Writes not yet flushed are
  /// then lost on a crash (a clean `close()` flushes them); `flush()` and
  /// `createCheckpoint(at:)` make them durable.
  public var disableWAL: Bool
  /// Optional merge operator used by `merge(_:_:)` and `WriteBatch.merge(_:_:)`.
  public var mergeOperator: MergeFunction?
  /// Name RocksDB records for `mergeOperator` (default "TributaryMergeOperator").
  public var mergeOperatorName: String

  /// Creates options; every parameter defaults to Tributary's standard configuration.
  public init(
    createIfMissing: Bool = true,
    blockCacheBytes: Int = 64 << 20,
    writeBufferBytes: Int = 64 << 20,
    compression: Compression = .lz4,
    maxBackgroundJobs: Int = 2,
    bloomBitsPerKey: Double = 10,
    disableWAL: Bool = true,
    mergeOperator: MergeFunction? = nil,
    mergeOperatorName: String = "TributaryMergeOperator"
  ) {
    self.createIfMissing = createIfMissing
    self.blockCacheBytes = blockCacheBytes
    self.writeBufferBytes = writeBufferBytes
    self.compression = compression
    self.maxBackgroundJobs = maxBackgroundJobs
    self.bloomBitsPerKey = bloomBitsPerKey
    self.disableWAL = disableWAL
    self.mergeOperator = mergeOperator
    self.mergeOperatorName = mergeOperatorName
  }
}
