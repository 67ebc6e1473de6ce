import RocksDB
import Testing

@Suite struct ScanTests {
  /// Keys chosen around the edges of prefix [1]: below it, inside it (including 0xFF
  /// continuations), and just above it.
  static let keys: [[UInt8]] = [
    [0], [0, 255], [1], [1, 0], [1, 0, 0], [1, 1], [1, 255], [1, 255, 255], [2], [2, 0],
    [255], [255, 1], [255, 255],
  ]

  private func populatedDatabase(_ directory: String) throws -> RocksDB {
    let db = try RocksDB(path: directory + "/db")
    for (index, key) in Self.keys.reversed().enumerated() { try db.put(key, [UInt8(index)]) }
    return db
  }

  @Test func fullScanIsOrderedByKeyBytes() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      #expect(try db.scan(from: nil, to: nil).map(\.key) == Self.keys)
      #expect(try db.scan(prefix: []).map(\.key) == Self.keys)
    }
  }

  @Test func prefixScanStaysWithinPrefix() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      try db.flush()
      try db.put([1, 128], [0])  // memtable and SST entries merge in order
      #expect(
        try db.scan(prefix: [1]).map(\.key) == [
          [1], [1, 0], [1, 0, 0], [1, 1], [1, 128], [1, 255], [1, 255, 255],
        ])
      #expect(try db.scan(prefix: [1, 0]).map(\.key) == [[1, 0], [1, 0, 0]])
      #expect(try db.scan(prefix: [1, 255]).map(\.key) == [[1, 255], [1, 255, 255]])
      #expect(try db.scan(prefix: [255]).map(\.key) == [[255], [255, 1], [255, 255]])
      #expect(try db.scan(prefix: [255, 255]).map(\.key) == [[255, 255]])
      #expect(try db.scan(prefix: [3]).isEmpty)
    }
  }

  @Test func rangeScanIsHalfOpen() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      #expect(try db.scan(from: [1], to: [2]).map(\.key) == Array(Self.keys[2..<8]))
      #expect(try db.scan(from: [1, 0, 0], to: [1, 255]).map(\.key) == [[1, 0, 0], [1, 1]])
      #expect(try db.scan(from: nil, to: [1]).map(\.key) == [[0], [0, 255]])
      #expect(try db.scan(from: [255, 1], to: nil).map(\.key) == [[255, 1], [255, 255]])
      #expect(try db.scan(from: [5], to: [5]).isEmpty)
      #expect(try db.scan(from: nil, to: []).isEmpty)
      let values = try db.scan(from: [2], to: [2, 1]).map(\.value)
      #expect(values == [[4], [3]])
    }
  }

  @Test func iteratorSeeksWithinBounds() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      let iterator = try db.makeIterator(from: [1, 0], to: [2])
      #expect(iterator.isValid)
      #expect(iterator.key() == [1, 0])
      iterator.seek([1, 2])
      #expect(iterator.key() == [1, 255])
      iterator.next()
      #expect(iterator.key() == [1, 255, 255])
      iterator.next()
      #expect(!iterator.isValid)  // [2] is excluded by the upper bound
      iterator.seekToLast()
      #expect(iterator.key() == [1, 255, 255])
      iterator.previous()
      #expect(iterator.key() == [1, 255])
      iterator.seek([0])  // below the lower bound: clamps to the first key in range
      #expect(iterator.key() == [1, 0])
      iterator.seek([3])
      #expect(!iterator.isValid)
      try iterator.checkError()

      let prefixed = try db.makeIterator(prefix: [2])
      var seen: [[UInt8]] = []
      while prefixed.isValid {
        let (key, value) = prefixed.withEntry { key, value in ([UInt8](key), [UInt8](value)) }
        #expect(value == prefixed.value())
        seen.append(key)
        prefixed.next()
      }
      #expect(seen == [[2], [2, 0]])
    }
  }

  @Test func iteratorSeesSnapshotFromCreation() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      let iterator = try db.makeIterator(prefix: [1])
      try db.put([1, 50], [0])
      try db.delete([1, 1])
      var keys: [[UInt8]] = []
      while iterator.isValid {
        keys.append(iterator.key())
        iterator.next()
      }
      #expect(keys == Array(Self.keys[2..<8]))
    }
  }

  @Test func closureScanVisitsInOrderAndStopsEarly() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      var visited: [[UInt8]] = []
      try db.scan(prefix: [1]) { key, _ in
        visited.append([UInt8](key))
        return visited.count < 3
      }
      #expect(visited == [[1], [1, 0], [1, 0, 0]])
      var total = 0
      try db.scan(from: [0], to: [1]) { _, value in
        total += Int(value[0])
        return true
      }
      #expect(total == 12 + 11)
      struct Stop: Error {}
      #expect(throws: Stop.self) { try db.scan(from: nil, to: nil) { _, _ in throw Stop() } }
    }
  }

  @Test func closingInvalidatesLiveIterators() async throws {
    try await withTemporaryDirectory { directory in
      let db = try populatedDatabase(directory)
      let iterator = try db.makeIterator()
      #expect(iterator.isValid)
      db.close()
      #expect(!iterator.isValid)
      iterator.seek([1])  // harmless no-op
      let error = #expect(throws: RocksDBError.self) { try iterator.checkError() }
      #expect(error?.message == "database is closed")
      #expect(throws: RocksDBError.self) { try db.makeIterator() }
    }
  }
}
