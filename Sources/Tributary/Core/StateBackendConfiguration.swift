import RocksDB

/// Where a job keeps keyed state.
///
/// `heap` keeps state deserialized in memory (fastest; bounded by memory).
/// `rocksdb` keeps it in one RocksDB instance per keyed subtask under
/// ``directory`` (state may exceed memory), behind a write-back cache of
/// ``cacheBytes`` per subtask. The default is `heap`; pipelines switch to
/// `rocksdb` when a state directory is given.
public struct StateBackendConfiguration: Sendable {
  /// The backend kinds.
  public enum Kind: String, Sendable, CaseIterable {
    /// In-memory dictionaries.
    case heap
    /// RocksDB on local disk.
    case rocksdb
  }

  /// The backend.
  public var kind: Kind
  /// Parent directory of the RocksDB working directories; `nil` uses the
  /// system's temporary directory. Each subtask's working directory is
  /// removed when the subtask closes (durability comes from checkpoints).
  public var directory: String?
  /// Write-back cache size per keyed subtask in bytes (RocksDB only); 0 turns it off.
  public var cacheBytes: Int
  /// RocksDB tuning.
  public var rocksDB: RocksDBOptions
  /// How RocksDB state is snapshotted for checkpoints (default ``RocksDBSnapshots/portable``:
  /// incremental native snapshots are opt-in, as incremental checkpoints are in Flink).
  public var rocksDBSnapshots: RocksDBSnapshots = .portable

  /// The format of RocksDB state in checkpoints and savepoints. Every format
  /// restores into either backend and any parallelism.
  public enum RocksDBSnapshots: String, Sendable, CaseIterable {
    /// Incremental native snapshots for large state, portable ones where they
    /// are cheaper: state that fits the write-back cache with fewer than
    /// ``StateBackendConfiguration/incrementalMinimumEntries`` entries, or of
    /// which at least one entry in
    /// ``StateBackendConfiguration/portableChangeRatio`` changed since the last
    /// snapshot.
    case automatic
    /// Always incremental native snapshots (SST files shared between checkpoints).
    case incremental
    /// Always the portable, backend-independent format (every entry, every time).
    case portable
  }

  /// With ``RocksDBSnapshots/automatic``, fully cached state below this many
  /// entries is snapshotted in the portable format.
  public static let incrementalMinimumEntries = 100_000

  /// With ``RocksDBSnapshots/automatic``, fully cached state of which at least
  /// one entry in this many changed since the last snapshot is snapshotted in
  /// the portable format. A change costs an incremental snapshot a write into
  /// the snapshot database and its share of compacting it there, tens of times
  /// what encoding one entry costs a portable snapshot: Nexmark q4 (between
  /// an eighth and a half of its entries changed per 10 s checkpoint) ran 2.6
  /// times faster with portable snapshots.
  public static let portableChangeRatio = 8

  /// A configuration; the default is heap state.
  public init(
    kind: Kind = .heap, directory: String? = nil, cacheBytes: Int = 64 << 20,
    rocksDB: RocksDBOptions = RocksDBOptions()
  ) {
    self.kind = kind
    self.directory = directory
    self.cacheBytes = cacheBytes
    self.rocksDB = rocksDB
  }

  /// Heap state.
  public static var heap: Self { Self(kind: .heap) }

  /// RocksDB state under `directory` (temporary directory when `nil`).
  public static func rocksdb(directory: String? = nil, cacheBytes: Int = 64 << 20) -> Self {
    Self(kind: .rocksdb, directory: directory, cacheBytes: cacheBytes)
  }
}
