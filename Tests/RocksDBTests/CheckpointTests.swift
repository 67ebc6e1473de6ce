import Foundation
import RocksDB
import Testing

@Suite struct CheckpointTests {
  private func inode(_ path: String) throws -> UInt64? {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
  }

  @Test func checkpointIsOpenableAndHardLinksSSTFiles() async throws {
    try await withTemporaryDirectory { directory in
      let source = directory + "/db"
      let checkpoint = directory + "/checkpoint"
      let db = try RocksDB(path: source)
      for i in UInt64(0)..<1_000 { try db.put(bigEndianKey(i), int64Bytes(Int64(i) * 2)) }
      try db.flush()
      try db.put(bigEndianKey(5_000), [1])  // memtable only: the checkpoint must flush it
      try db.createCheckpoint(at: checkpoint)

      let sstFiles = try FileManager.default.contentsOfDirectory(atPath: checkpoint)
        .filter { $0.hasSuffix(".sst") }
      #expect(!sstFiles.isEmpty)
      for file in sstFiles {
        let original = try inode(source + "/" + file)
        #expect(original != nil)
        #expect(try inode(checkpoint + "/" + file) == original, "\(file) is not a hard link")
      }

      try db.put(bigEndianKey(0), [0])  // later writes do not reach the checkpoint
      let copy = try RocksDB(path: checkpoint)
      #expect(int64Value(try copy.get(bigEndianKey(0))) == 0)
      #expect(int64Value(try copy.get(bigEndianKey(999))) == 1_998)
      #expect(try copy.get(bigEndianKey(5_000)) == [1])
      #expect(try copy.scan(from: nil, to: nil).count == 1_001)
      #expect(try db.get(bigEndianKey(0)) == [0])
    }
  }

  @Test func checkpointIntoExistingDirectoryFails() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      try db.put([1], [1])
      let error = #expect(throws: RocksDBError.self) { try db.createCheckpoint(at: directory) }
      #expect(error?.operation == "checkpoint \(directory)")
      #expect(error?.message.isEmpty == false)
    }
  }

  @Test func propertiesAndDiskUsage() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      for i in UInt64(0)..<500 { try db.put(bigEndianKey(i), [UInt8](repeating: 7, count: 100)) }
      try db.flush()
      #expect(try db.integerProperty("rocksdb.estimate-num-keys") == 500)
      #expect(try (db.integerProperty("rocksdb.total-sst-files-size") ?? 0) > 0)
      #expect(try db.property("rocksdb.stats")?.isEmpty == false)
      #expect(try db.property("rocksdb.no-such-property") == nil)
      #expect(try db.approximateDiskUsageBytes() > 0)
    }
  }

  @Test(arguments: RocksDBOptions.Compression.allCases)
  func everyCompressionRoundTrips(compression: RocksDBOptions.Compression) async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(
        path: directory + "/db", options: RocksDBOptions(compression: compression))
      // This librocksdb links snappy, lz4 and zstd, so no fallback is expected.
      #expect(db.compression == compression)
      let value = [UInt8](repeating: 3, count: 4_096)
      for i in UInt64(0)..<100 { try db.put(bigEndianKey(i), value) }
      try db.flush()
      try db.compactRange()
      #expect(try db.get(bigEndianKey(42)) == value)
    }
  }
}
