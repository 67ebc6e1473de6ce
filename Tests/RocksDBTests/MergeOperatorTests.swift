import RocksDB
import Testing

@Suite struct MergeOperatorTests {
  /// Adds little-endian Int64 operands onto the existing value (absent counts as 0).
  static let adder: RocksDBOptions.MergeFunction = { _, existing, operands in
    guard var sum = existing.map({ int64Value($0) }) ?? 0 else { return nil }
    for operand in operands {
      guard let addend = int64Value(operand) else { return nil }
      sum &+= addend
    }
    return int64Bytes(sum)
  }

  @Test func int64AdderCombinesOperands() async throws {
    try await withTemporaryDirectory { directory in
      let options = RocksDBOptions(mergeOperator: Self.adder, mergeOperatorName: "Int64Add")
      let db = try RocksDB(path: directory + "/db", options: options)
      try db.merge([1], int64Bytes(5))
      try db.merge([1], int64Bytes(7))
      #expect(int64Value(try db.get([1])) == 12)

      try db.put([2], int64Bytes(100))
      try db.merge([2], int64Bytes(-1))
      let batch = WriteBatch()
      batch.merge([2], int64Bytes(-2))
      batch.merge([3], int64Bytes(3))
      try db.write(batch)
      #expect(int64Value(try db.get([2])) == 97)
      #expect(int64Value(try db.get([3])) == 3)

      // Operands spread over SST files and the memtable, then compacted together.
      try db.flush()
      for _ in 0..<10 { try db.merge([1], int64Bytes(1)) }
      #expect(int64Value(try db.get([1])) == 22)
      try db.flush()
      try db.compactRange()
      #expect(int64Value(try db.get([1])) == 22)
      #expect(try db.scan(prefix: []).map { int64Value($0.value) } == [22, 97, 3])
    }
  }

  @Test func mergeResultPersistsAcrossReopen() async throws {
    try await withTemporaryDirectory { directory in
      let options = RocksDBOptions(mergeOperator: Self.adder)
      do {
        let db = try RocksDB(path: directory + "/db", options: options)
        for i in 1...100 { try db.merge([9], int64Bytes(Int64(i))) }
        try db.flush()
        db.close()
      }
      let db = try RocksDB(path: directory + "/db", options: options)
      #expect(int64Value(try db.get([9])) == 5_050)
    }
  }

  @Test func failedMergeSurfacesAsReadError() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(
        path: directory + "/db", options: RocksDBOptions(mergeOperator: Self.adder))
      try db.merge([1], [1, 2, 3])  // not an Int64: the merge function returns nil
      let error = #expect(throws: RocksDBError.self) { try db.get([1]) }
      #expect(error?.operation == "get")
      #expect(error?.message.isEmpty == false)
    }
  }

  @Test func mergeWithoutOperatorFails() async throws {
    try await withTemporaryDirectory { directory in
      let db = try RocksDB(path: directory + "/db")
      let error = #expect(throws: RocksDBError.self) { try db.merge([1], [1]) }
      #expect(error?.operation == "merge")
    }
  }
}

extension MergeOperatorTests {
  private final class Probe: Sendable {}

  /// The merge operator is owned by RocksDB (options and database share it); closing must
  /// release it, and with it the Swift closure and everything the closure captured.
  @Test func closeReleasesTheMergeClosure() async throws {
    try await withTemporaryDirectory { directory in
      weak var released: Probe?
      do {
        let probe = Probe()
        released = probe
        let options = RocksDBOptions(mergeOperator: { _, existing, operands in
          _ = probe
          return MergeOperatorTests.adder([], existing, operands)
        })
        let db = try RocksDB(path: directory + "/db", options: options)
        try db.merge([1], int64Bytes(1))
        #expect(int64Value(try db.get([1])) == 1)
        db.close()
      }
      #expect(released == nil)
    }
  }
}
