import Foundation
import RocksDB
import Testing

@Suite struct LifecycleTests {
  @Test func closeIsIdempotentAndLaterCallsThrow() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      try db.put([1], [1])
      #expect(!db.isClosed)
      db.close()
      db.close()
      #expect(db.isClosed)
      let error = #expect(throws: RocksDBError.self) { try db.get([1]) }
      #expect(error?.operation == "get")
      #expect(error?.message == "database is closed")
      #expect(throws: RocksDBError.self) { try db.put([1], [2]) }
      #expect(throws: RocksDBError.self) { try db.write(WriteBatch()) }
      #expect(throws: RocksDBError.self) { try db.flush() }
    }
  }

  @Test func closeReleasesTheLockAndKeepsFlushedData() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/db"
      let first = try RocksDB(path: path)
      try first.put([1], [2])
      try first.flush()
      first.close()
      let second = try RocksDB(path: path)
      #expect(try second.get([1]) == [2])
    }
  }

  /// With the WAL disabled, unflushed writes live only in the memtable; RocksDB flushes
  /// them on a clean close (its default `avoid_flush_during_shutdown = false`).
  @Test func cleanCloseKeepsUnflushedWrites() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/db"
      let first = try RocksDB(path: path)
      try first.put([1], [2])
      first.close()
      let second = try RocksDB(path: path)
      #expect(try second.get([1]) == [2])
    }
  }

  @Test func deinitClosesTheDatabase() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/db"
      do {
        let db = try RocksDB(path: path)
        try db.put([1], [2])
        try db.flush()
      }
      let reopened = try RocksDB(path: path)  // would fail on the lock if still open
      #expect(try reopened.get([1]) == [2])
    }
  }

  @Test func openingALockedDatabaseThrowsRocksDBsMessage() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/db"
      let first = try RocksDB(path: path)
      let error = #expect(throws: RocksDBError.self) { try RocksDB(path: path) }
      #expect(error?.operation == "open \(path)")
      #expect(error?.message.contains("lock") == true, "\(String(describing: error))")
      #expect(error?.message.contains(path) == true)
      try first.put([1], [1])  // the first instance is unaffected
      #expect(try first.get([1]) == [1])
    }
  }

  @Test func openingUnderARegularFileThrowsRocksDBsMessage() async throws {
    try await withTemporaryDirectory { directory in
      let file = directory + "/file"
      #expect(FileManager.default.createFile(atPath: file, contents: Data([1])))
      let path = file + "/db"  // not creatable by anyone, root included
      let error = #expect(throws: RocksDBError.self) { try RocksDB(path: path) }
      #expect(error?.operation == "open \(path)")
      #expect(error?.message.contains("IO error") == true, "\(String(describing: error))")
      #expect(error?.description.contains(path) == true)
    }
  }

  @Test func openingAMissingDatabaseWithoutCreateFails() async throws {
    try await withTemporaryDirectory { directory in
      let options = RocksDBOptions(createIfMissing: false)
      let error = #expect(throws: RocksDBError.self) {
        try RocksDB(path: directory + "/db", options: options)
      }
      #expect(error?.message.contains("does not exist") == true, "\(String(describing: error))")
    }
  }

  @Test func defaultsMatchTributarysConfiguration() {
    let options = RocksDBOptions()
    #expect(options.createIfMissing)
    #expect(options.blockCacheBytes == 64 << 20)
    #expect(options.writeBufferBytes == 64 << 20)
    #expect(options.compression == .lz4)
    #expect(options.maxBackgroundJobs == 2)
    #expect(options.disableWAL)
    #expect(options.mergeOperator == nil)
  }
}
