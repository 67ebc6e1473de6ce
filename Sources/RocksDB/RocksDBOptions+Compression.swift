import CRocksDB

extension RocksDBOptions {
  /// Block compression codecs Tributary may ask RocksDB for.
  public enum Compression: Sendable, Hashable, CaseIterable {
    /// No compression.
    case none
    /// Snappy: fast, moderate ratio.
    case snappy
    /// LZ4: fastest decompression; Tributary's default.
    case lz4
    /// Zstandard: best ratio, more CPU.
    case zstd

    /// RocksDB's `CompressionType` value for this codec.
    var nativeValue: Int32 {
      switch self {
      case .none: Int32(rocksdb_no_compression)
      case .snappy: Int32(rocksdb_snappy_compression)
      case .lz4: Int32(rocksdb_lz4_compression)
      case .zstd: Int32(rocksdb_zstd_compression)
      }
    }

    /// The codec to try when this one is not linked into librocksdb, or nil for `.none`.
    var fallback: Compression? {
      switch self {
      case .zstd: .lz4
      case .lz4: .snappy
      case .snappy: Compression.none
      case .none: nil
      }
    }
  }
}
