import RocksDB
import Testing

@Suite struct WriteBatchTests {
  @Test func batchAppliesAllOperationsInOrder() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      for i in UInt64(0)..<10 { try db.put(bigEndianKey(i), [0]) }
      let batch = WriteBatch()
      batch.put([100], [1])
      batch.put([100], [2])  // later operation on the same key wins
      batch.put([101], [3])
      batch.delete(bigEndianKey(0))
      batch.deleteRange(from: bigEndianKey(5), to: bigEndianKey(8))
      #expect(batch.count == 5)
      #expect(try db.get([100]) == nil)  // nothing visible before write
      try db.write(batch)
      #expect(try db.get([100]) == [2])
      #expect(try db.get([101]) == [3])
      #expect(try db.get(bigEndianKey(0)) == nil)
      #expect(try db.get(bigEndianKey(4)) == [0])
      #expect(try db.get(bigEndianKey(6)) == nil)
      #expect(try db.get(bigEndianKey(8)) == [0])
      batch.clear()
      #expect(batch.count == 0)
      try db.write(batch)  // empty batch is a no-op
    }
  }

  /// A reader's iterator sees a consistent snapshot; if batches were not atomic it would
  /// eventually observe the two keys with different values.
  @Test func concurrentReadersNeverSeeHalfABatch() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      try db.put([1], int64Bytes(0))
      try db.put([2], int64Bytes(0))
      let rounds = 2_000
      try await withThrowingTaskGroup(of: Int.self) { group in
        group.addTask {
          let batch = WriteBatch()
          for round in 1...rounds {
            batch.clear()
            batch.put([1], int64Bytes(Int64(round)))
            batch.put([2], int64Bytes(Int64(round)))
            try db.write(batch)
          }
          return 0
        }
        group.addTask {
          var torn = 0
          for _ in 0..<rounds {
            let entries = try db.scan(from: [1], to: [3])
            if entries.count != 2 || entries[0].value != entries[1].value { torn += 1 }
          }
          return torn
        }
        var torn = 0
        for try await count in group { torn += count }
        #expect(torn == 0)
      }
      #expect(int64Value(try db.get([1])) == Int64(rounds))
    }
  }
}
