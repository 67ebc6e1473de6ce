import Foundation
import RocksDB
import Testing

@testable import Tributary

/// The RocksDB key layout: key group (UInt16 BE) | state id (UInt16 BE) | key | namespace.
@Suite struct StateLayoutTests {
  /// Writes `keys` into a value state (id 0) and a list state (id 1), clears some, flushes.
  /// Returns the keys left in each state.
  static func populate(
    _ h: StateHarness<Int>, keys: [Int]
  ) throws -> (values: [Int: Int64], lists: [Int: [String]]) {
    let value = try h.context.state(ValueStateDescriptor<Int64>("value"))
    let list = try h.context.state(ListStateDescriptor<String>("list"))
    var values: [Int: Int64] = [:]
    var lists: [Int: [String]] = [:]
    for key in keys {
      h.at(key)
      try value.update(Int64(key) * 3)
      values[key] = Int64(key) * 3
      if key % 3 != 0 {
        try list.addAll(["k\(key)", "x"])
        lists[key] = ["k\(key)", "x"]
      }
    }
    for key in keys where key % 10 == 1 {
      h.at(key)
      try value.clear()
      values[key] = nil
      try list.clear()
      lists[key] = nil
    }
    try h.backend.flush()
    return (values, lists)
  }

  static func decodeKey(_ rocksKey: [UInt8]) throws -> Int {
    try Int.decode(Array(rocksKey[4...]))
  }

  @Test(arguments: StateConfig.rocksOnly)
  func rangeScanOfOneKeyGroupAndStateFindsExactlyItsKeys(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let keys = (0..<3_000).map { $0 * 7 - 5_000 }  // negative keys too
    let (values, lists) = try Self.populate(h, keys: keys)
    let db = try h.db
    var groups: [Int: [Int]] = [:]
    for key in keys { groups[stateKeyGroup(of: key), default: []].append(key) }
    #expect(groups.count == 128)
    var wrong = 0
    for group in 0..<128 {
      for (stateId, expected) in [(0, Array(values.keys)), (1, Array(lists.keys))] {
        let lower = stateBigEndian(group) + stateBigEndian(stateId)
        let upper = stateBigEndian(group) + stateBigEndian(stateId + 1)
        let entries = try db.scan(from: lower, to: upper)
        let found = try entries.map { try Self.decodeKey($0.key) }
        let want = expected.filter { stateKeyGroup(of: $0) == group }
        if found.sorted() != want.sorted() {
          wrong += 1
          if wrong <= 3 {
            Issue.record(
              "group \(group) state \(stateId): \(found.count) keys, expected \(want.count)")
          }
        }
        // Values are the BinaryCodable encodings of the stored values.
        for (key, bytes) in entries {
          let k = try Self.decodeKey(key)
          if stateId == 0, try Int64.decode(bytes) != values[k] { wrong += 1 }
          if stateId == 1, try [String].decode(bytes) != lists[k] { wrong += 1 }
        }
      }
      // The two-byte key-group prefix holds both states of exactly that group's keys.
      let both = try db.scan(prefix: stateBigEndian(group))
      let expectedCount =
        (groups[group] ?? []).filter { values[$0] != nil }.count
        + (groups[group] ?? []).filter { lists[$0] != nil }.count
      if both.count != expectedCount { wrong += 1 }
    }
    #expect(wrong == 0)
  }

  @Test(arguments: StateConfig.rocksOnly)
  func keyGroupsNeverInterleaveInByteOrder(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    var rng = SplitMix64(seed: 5)
    let keys = (0..<2_500).map { _ in Int(truncatingIfNeeded: rng.next() >> 4) - (1 << 58) }
    let (values, lists) = try Self.populate(h, keys: keys)
    let all = try h.db.scan(from: nil, to: nil)
    #expect(all.count == values.count + lists.count)
    var previous = (-1, -1)
    var outOfOrder = 0
    var misplaced = 0
    for (key, _) in all {
      let group = Int(key[0]) << 8 | Int(key[1])
      let state = Int(key[2]) << 8 | Int(key[3])
      if (group, state) < previous { outOfOrder += 1 }
      previous = (group, state)
      if try stateKeyGroup(of: Self.decodeKey(key)) != group { misplaced += 1 }
    }
    #expect(outOfOrder == 0)
    #expect(misplaced == 0)
  }

  /// A subtask writes only keys of its own key groups, and its layout uses the
  /// absolute key group number (not the index within its range).
  @Test func secondSubtaskUsesAbsoluteKeyGroups() throws {
    let h = try StateHarness<Int>(.rocksTinyCache, subtask: 1, parallelism: 2)
    defer { h.close() }
    let range = h.operatorContext.keyGroupRange
    #expect(range == 64..<128)
    let keys = (0..<3_000).filter { range.contains(stateKeyGroup(of: $0)) }
    let (values, _) = try Self.populate(h, keys: keys)
    let entries = try h.db.scan(from: nil, to: nil)
    let groups = Set(entries.map { Int($0.key[0]) << 8 | Int($0.key[1]) })
    #expect(groups.isSubset(of: Set(range)))
    let valueEntries = entries.filter { $0.key[2] == 0 && $0.key[3] == 0 }
    #expect(valueEntries.count == values.count)
  }

  /// String keys (length-prefixed encodings) also keep to their key group's range.
  @Test func stringKeysScanByKeyGroup() throws {
    let h = try StateHarness<String>(.rocksNoCache)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("s"))
    let keys = (0..<1_500).map { "user/\($0)/" + String(repeating: "z", count: $0 % 9) }
    for (i, key) in keys.enumerated() {
      h.at(key)
      try state.update(Int64(i))
    }
    let db = try h.db
    var wrong = 0
    for group in 0..<128 {
      let entries = try db.scan(prefix: stateBigEndian(group) + stateBigEndian(0))
      let found = try entries.map { try String.decode(Array($0.key[4...])) }
      let want = keys.filter { stateKeyGroup(of: $0) == group }
      if found.sorted() != want.sorted() { wrong += 1 }
    }
    #expect(wrong == 0)
  }
}
