import Foundation
import Testing

@testable import Tributary

/// `RocksDBStateTable.modify`: in place in the write-back cache, with the
/// same results as a read followed by a write.
@Suite struct RocksDBStateModifyTests {
  private struct Failure: Error {}

  private func withTable(
    _ body: (RocksDBStateTable<Int64, VoidNamespace, [Int64]>) throws -> Void
  ) throws {
    let h = try StateHarness<Int64>(.rocksDefaultCache)
    defer { h.close() }
    let table = RocksDBStateTable<Int64, VoidNamespace, [Int64]>(
      db: try h.db, name: "lists", stateId: 7, maxParallelism: 128, keyGroups: 0..<128,
      budget: StateCacheBudget(limitBytes: 1 << 20))
    try body(table)
  }

  private func key(_ k: Int64) -> StateKey<Int64, VoidNamespace> { StateKey(k, VoidNamespace()) }

  /// Regression (Nexmark q8 on RocksDB copied each window's list on every
  /// append, quadratic in the list's length): the table fell back to get then
  /// put, so the cache still held the list while it was appended to. A cached
  /// list must now grow in its own buffer.
  @Test func appendingToACachedListDoesNotCopyIt() throws {
    try withTable { table in
      var list: [Int64] = [1]
      list.reserveCapacity(64)
      try table.put(key(1), list)
      list = []
      var buffers: Set<UInt> = []
      for value in Int64(2)...20 {
        try table.modify(key(1)) { stored in
          stored!.append(value)
          stored!.withUnsafeBufferPointer { _ = buffers.insert(UInt(bitPattern: $0.baseAddress)) }
        }
      }
      #expect(buffers.count == 1)
      #expect(try table.get(key(1)) == Array(1...20))
    }
  }

  /// Changes made in place reach RocksDB: after a flush and an emptied
  /// cache, every list reads back as built, removed ones stay removed, and an
  /// uncached value is read from RocksDB before it is changed.
  @Test func changesInPlaceReachRocksDB() throws {
    try withTable { table in
      for k in Int64(0)..<10 {
        for v in Int64(0)...k { try table.modify(key(k)) { $0 = ($0 ?? []) + [v] } }
      }
      try table.flushAndDropCache()
      // Persisted entries: appended to after a read from RocksDB, or removed.
      for k in Int64(0)..<10 {
        try table.modify(key(k)) { $0 = k.isMultiple(of: 2) ? nil : $0! + [100] }
      }
      // Cached entries: removed in place, or appended to in place.
      for k in Int64(1)..<10 where !k.isMultiple(of: 2) {
        try table.modify(key(k)) { $0 = k == 1 ? nil : $0! + [200] }
      }
      try table.flushAndDropCache()
      for k in Int64(0)..<10 {
        let expected: [Int64]? =
          k.isMultiple(of: 2) || k == 1 ? nil : Array(0...k) + [100, 200]
        #expect(try table.get(key(k)) == expected, "key \(k)")
      }
    }
  }

  /// A never-persisted entry emptied in place is forgotten, and a value
  /// changed before `body` throws is kept and written (as in the heap table).
  @Test func removalAndThrowingBodies() throws {
    try withTable { table in
      try table.put(key(1), [1])
      try table.modify(key(1)) { $0 = nil }
      #expect(table.cachedCount == 0)
      #expect(try table.get(key(1)) == nil)
      try table.put(key(2), [2])
      #expect(throws: Failure.self) {
        try table.modify(key(2)) { stored in
          stored!.append(3)
          throw Failure()
        }
      }
      try table.flushAndDropCache()
      #expect(try table.get(key(2)) == [2, 3])
    }
  }
}
