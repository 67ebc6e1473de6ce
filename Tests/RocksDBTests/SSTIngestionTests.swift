import Foundation
import RocksDB
import Testing

@Suite struct SSTIngestionTests {
  @Test func ingestedFilesOverwriteOlderValuesAndDeleteKeys() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      for i in UInt64(0)..<100 { try db.put(bigEndianKey(i), [1]) }
      let writer = try SSTFileWriter(path: directory + "/batch.sst")
      for i in UInt64(50)..<150 {
        try bigEndianKey(i).withUnsafeBytes { key in
          if i < 60 {
            try writer.delete(key)
          } else {
            try [UInt8(2)].withUnsafeBytes { try writer.put(key, $0) }
          }
        }
      }
      #expect(writer.count == 100)
      try writer.finish()
      try db.ingest(files: [directory + "/batch.sst"])
      #expect(!FileManager.default.fileExists(atPath: directory + "/batch.sst"), "moved")
      #expect(try db.get(bigEndianKey(10)) == [1])
      #expect(try db.get(bigEndianKey(55)) == nil)
      #expect(try db.get(bigEndianKey(70)) == [2])
      #expect(try db.get(bigEndianKey(149)) == [2])
      db.close()
    }
  }

  @Test func keysOutOfOrderAreRefused() async throws {
    try await withTemporaryDirectory { directory in
      let writer = try SSTFileWriter(path: directory + "/bad.sst")
      try bigEndianKey(2).withUnsafeBytes { key in
        try [UInt8(0)].withUnsafeBytes { try writer.put(key, $0) }
      }
      #expect(throws: RocksDBError.self) {
        try bigEndianKey(1).withUnsafeBytes { key in
          try [UInt8(0)].withUnsafeBytes { try writer.put(key, $0) }
        }
      }
    }
  }
}
