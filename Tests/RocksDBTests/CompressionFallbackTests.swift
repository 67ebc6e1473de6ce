import Testing

@testable import RocksDB

@Suite struct CompressionFallbackTests {
  @Test func fallbackChainEndsWithNone() {
    #expect(RocksDBOptions.Compression.zstd.fallback == .lz4)
    #expect(RocksDBOptions.Compression.lz4.fallback == .snappy)
    #expect(RocksDBOptions.Compression.snappy.fallback == RocksDBOptions.Compression.none)
    #expect(RocksDBOptions.Compression.none.fallback == nil)
  }

  @Test func prefixUpperBounds() {
    #expect(PrefixBounds.upperBound(for: []) == nil)
    #expect(PrefixBounds.upperBound(for: [1]) == [2])
    #expect(PrefixBounds.upperBound(for: [1, 255]) == [2])
    #expect(PrefixBounds.upperBound(for: [1, 254]) == [1, 255])
    #expect(PrefixBounds.upperBound(for: [255, 255]) == nil)
  }
}
