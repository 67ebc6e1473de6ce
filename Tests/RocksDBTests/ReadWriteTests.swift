import RocksDB
import Testing

@Suite struct ReadWriteTests {
  @Test func putGetDelete() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      #expect(try db.get([1, 2, 3]) == nil)
      try db.put([1, 2, 3], [9, 8, 7])
      #expect(try db.get([1, 2, 3]) == [9, 8, 7])
      try db.put([1, 2, 3], [6])
      #expect(try db.get([1, 2, 3]) == [6])
      try db.delete([1, 2, 3])
      #expect(try db.get([1, 2, 3]) == nil)
      try db.delete([4, 4])  // deleting a missing key is fine
    }
  }

  @Test func emptyValueIsDistinctFromMissing() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      try db.put([7], [])
      #expect(try db.get([7]) == [])
      #expect(try db.get([8]) == nil)
      try db.put([], [1])
      #expect(try db.get([]) == [1])
    }
  }

  @Test func borrowedKeyVariants() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      let key: [UInt8] = [0, 1, 2, 3, 4]
      let value: [UInt8] = [42, 43]
      try key.withUnsafeBytes { key in
        try value.withUnsafeBytes { value in try db.put(key, value) }
      }
      #expect(try db.get(key[...]) == value)
      #expect(try db.get([9, 0, 1, 2, 3, 4, 9][1..<6]) == value)
      #expect(try key.withUnsafeBytes { try db.get($0) } == value)
      let sum = try db.withValue(forKey: key) { bytes in bytes.map { $0.reduce(0, +) } }
      #expect(sum == 85)
      let missing = try db.withValue(forKey: [1]) { $0 == nil }
      #expect(missing)
      try key.withUnsafeBytes { try db.delete($0) }
      #expect(try db.get(key) == nil)
    }
  }

  @Test func largeValuesSurviveFlush() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      let value = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
      try db.put([1], value)
      try db.flush()
      #expect(try db.get([1]) == value)
    }
  }

  @Test func deleteRangeRemovesHalfOpenRange() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      for i in UInt64(0)..<20 { try db.put(bigEndianKey(i), [UInt8(i)]) }
      try db.flush()  // the tombstone must also hide keys already in SST files
      try db.deleteRange(from: bigEndianKey(5), to: bigEndianKey(15))
      for i in UInt64(0)..<20 {
        let expected: [UInt8]? = (5..<15).contains(i) ? nil : [UInt8(i)]
        #expect(try db.get(bigEndianKey(i)) == expected, "key \(i)")
      }
      try db.compactRange()
      #expect(try db.scan(from: nil, to: nil).count == 10)
    }
  }
}
