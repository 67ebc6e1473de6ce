import Foundation
import Testing

@testable import Tributary

/// Keyed state handles used directly through a `KeyedStateBackend`, on all four
/// backend configurations, against plain Swift models.
@Suite struct StateSemanticsTests {
  // MARK: Small, explicit semantics

  @Test(arguments: StateConfig.allCases)
  func valueStateKeepsOneValuePerKey(config: StateConfig) throws {
    let h = try StateHarness<String>(config)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<String>("name"))
    h.at("a")
    #expect(try state.value() == nil)
    try state.update("alpha")
    h.at("b")
    #expect(try state.value() == nil)
    try state.update("beta")
    h.at("a")
    #expect(try state.value() == "alpha")
    try state.update("alpha2")
    #expect(try state.value() == "alpha2")
    try state.update(nil)
    #expect(try state.value() == nil)
    h.at("b")
    #expect(try state.value() == "beta")
    try state.clear()
    #expect(try state.value() == nil)
    try state.clear()  // clearing an absent value is a no-op
    #expect(try h.visitedKeys("name").isEmpty)
  }

  @Test(arguments: StateConfig.allCases)
  func optionalAndArrayValues(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let optional = try h.context.state(ValueStateDescriptor<String?>("optional"))
    let array = try h.context.state(ValueStateDescriptor<[String?]>("array"))
    h.at(1)
    // A stored `nil` is a value, distinct from "no value".
    try optional.update(.some(nil))
    #expect(try optional.value() == .some(nil))
    try array.update([])
    #expect(try array.value() == [])
    h.at(2)
    try optional.update("x")
    try array.update(["a", nil, "", "ü"])
    #expect(try optional.value() == .some("x"))
    h.at(1)
    #expect(try optional.value() == .some(nil))
    #expect(try array.value() == [])
    h.at(2)
    #expect(try array.value() == ["a", nil, "", "ü"])
    try h.backend.flush()
    #expect(try optional.value() == .some("x"))
    expectSameElements(try h.visitedKeys("optional"), [1, 2])
    expectSameElements(try h.visitedKeys("array"), [1, 2])
    h.at(1)
    try optional.update(nil)  // plain nil clears
    #expect(try optional.value() == nil)
    expectSameElements(try h.visitedKeys("optional"), [2])
  }

  @Test(arguments: StateConfig.allCases)
  func listStateKeepsInsertionOrder(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let list = try h.context.state(ListStateDescriptor<String>("list"))
    h.at(7)
    #expect(try list.get() == [])
    try list.add("a")
    try list.addAll(["b", "c"])
    try list.addAll([])
    try list.add("d")
    h.at(8)
    try list.addAll(["x"])
    h.at(7)
    #expect(try list.get() == ["a", "b", "c", "d"])
    try list.update(["z", "y"])
    #expect(try list.get() == ["z", "y"])
    h.at(8)
    #expect(try list.get() == ["x"])
    try list.update([])  // an empty list clears
    #expect(try list.get() == [])
    expectSameElements(try h.visitedKeys("list"), [7])
    h.at(7)
    try list.clear()
    #expect(try list.get() == [])
    #expect(try h.visitedKeys("list").isEmpty)
  }

  @Test(arguments: StateConfig.allCases)
  func mapStatePutRemoveEntries(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let map = try h.context.state(MapStateDescriptor<String, [Int]>("map"))
    h.at(1)
    #expect(try map.isEmpty())
    #expect(try map.get("a") == nil)
    #expect(try !map.contains("a"))
    try map.put("a", [1])
    try map.put("b", [])
    try map.put("a", [1, 2])
    h.at(2)
    try map.put("a", [9])
    #expect(try map.entries() == ["a": [9]])
    h.at(1)
    #expect(try map.contains("b"))
    #expect(try map.get("b") == [])
    #expect(try map.entries() == ["a": [1, 2], "b": []])
    try map.remove("a")
    try map.remove("nope")
    #expect(try map.entries() == ["b": []])
    #expect(try !map.isEmpty())
    try map.remove("b")  // the emptied map is removed
    #expect(try map.isEmpty())
    expectSameElements(try h.visitedKeys("map"), [2])
    h.at(2)
    try map.clear()
    #expect(try map.entries().isEmpty)
    #expect(try h.visitedKeys("map").isEmpty)
  }

  @Test(arguments: StateConfig.allCases)
  func reducingAndAggregatingState(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let maximum = try h.context.state(ReducingStateDescriptor<Int64>("max") { max($0, $1) })
    let average = try h.context.state(
      AggregatingStateDescriptor("avg", function: AverageAggregate()))
    h.at(1)
    #expect(try maximum.get() == nil)
    #expect(try average.get() == nil)
    for v in [3, -5, 10, 4] {
      try maximum.add(Int64(v))
      try average.add(v)
    }
    h.at(2)
    try maximum.add(-7)
    try average.add(-7)
    h.at(1)
    #expect(try maximum.get() == 10)
    #expect(try average.get() == 3.0)
    try maximum.clear()
    try average.clear()
    #expect(try maximum.get() == nil)
    #expect(try average.get() == nil)
    try average.add(5)
    #expect(try average.get() == 5.0)
    h.at(2)
    #expect(try maximum.get() == -7)
    #expect(try average.get() == -7.0)
  }

  // MARK: Model-based, random operations over many keys

  /// The expected state of one key.
  struct KeyModel: Equatable {
    var value: String?
    var optional: Int??
    var list: [Int] = []
    var map: [String: [Int]] = [:]
    var sum: Int64?
    var average: AverageAggregate.Accumulator?
    var strings: [String?]?
  }

  static let modelCases: [(StateConfig, UInt64)] = StateConfig.allCases.flatMap {
    config -> [(StateConfig, UInt64)] in [(config, 1), (config, 2)]
  }

  @Test(arguments: modelCases)
  func randomOperationsMatchModel(config: StateConfig, seed: UInt64) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let ctx = h.context
    let value = try ctx.state(ValueStateDescriptor<String>("value"))
    let optional = try ctx.state(ValueStateDescriptor<Int?>("optional"))
    let list = try ctx.state(ListStateDescriptor<Int>("list"))
    let map = try ctx.state(MapStateDescriptor<String, [Int]>("map"))
    let sum = try ctx.state(ReducingStateDescriptor<Int64>("sum") { $0 + $1 })
    let average = try ctx.state(AggregatingStateDescriptor("average", function: AverageAggregate()))
    let strings = try ctx.state(ValueStateDescriptor<[String?]>("strings"))

    var rng = SplitMix64(seed: seed &* 0x1234_5678 &+ UInt64(config.rawValue.count))
    let keyCount = 3_000
    let operations = 24_000
    var model: [Int: KeyModel] = [:]
    var mismatches = 0

    func check(_ key: Int) throws {
      let m = model[key] ?? KeyModel()
      h.at(key)
      var actual = KeyModel()
      actual.value = try value.value()
      actual.optional = try optional.value()
      actual.list = try list.get()
      actual.map = try map.entries()
      actual.sum = try sum.get()
      let avg = try average.get()
      actual.average = m.average  // compared through the result below
      actual.strings = try strings.value()
      let expectedAverage = m.average.map { AverageAggregate().result($0) }
      if actual != m || avg != expectedAverage {
        mismatches += 1
        if mismatches <= 3 {
          Issue.record("key \(key): got \(actual) avg \(String(describing: avg)), expected \(m)")
        }
      }
    }

    for step in 0..<operations {
      // Skewed keys: half the operations hit 5% of the keys, so the cache has hot and cold entries.
      let key = rng.below(2) == 0 ? rng.below(keyCount / 20) : rng.below(keyCount)
      h.at(key)
      var m = model[key] ?? KeyModel()
      let n = rng.below(1_000)
      switch rng.below(19) {
      case 0, 1:
        let s = "v\(key)-\(n)"
        try value.update(s)
        m.value = s
      case 2:
        try value.clear()
        m.value = nil
      case 3:
        let v: Int? = n % 3 == 0 ? nil : n
        try optional.update(.some(v))
        m.optional = .some(v)
      case 4:
        try optional.update(nil)
        m.optional = nil
      case 5, 6:
        try list.add(n)
        m.list.append(n)
      case 7:
        let more = (0..<rng.below(4)).map { key * 10 + $0 }
        try list.addAll(more)
        m.list += more
      case 8:
        let replacement = (0..<rng.below(3)).map { _ in rng.below(100) }
        try list.update(replacement)
        m.list = replacement
      case 9:
        let k = "k\(n % 7)"
        let v = Array(0..<(n % 4))
        try map.put(k, v)
        m.map[k] = v
      case 10:
        let k = "k\(n % 7)"
        try map.remove(k)
        m.map.removeValue(forKey: k)
      case 11:
        if n % 10 == 0 {
          try map.clear()
          m.map = [:]
        } else {
          #expect(try map.contains("k\(n % 7)") == (m.map["k\(n % 7)"] != nil))
        }
      case 12, 13:
        try sum.add(Int64(n - 500))
        m.sum = (m.sum ?? 0) + Int64(n - 500)
      case 14:
        if n % 4 == 0 {
          try sum.clear()
          m.sum = nil
          try average.clear()
          m.average = nil
        } else {
          try average.add(n)
          m.average = AverageAggregate().add(
            n, to: m.average ?? AverageAggregate().createAccumulator())
        }
      case 15:
        let v: [String?] = (0..<(n % 5)).map { $0 % 2 == 0 ? "s\(key)_\($0)" : nil }
        try strings.update(v)
        m.strings = v
      case 16:
        try strings.clear()
        m.strings = nil
      default:
        model[key] = m
        try check(key)  // read-your-writes on a random key
        continue
      }
      model[key] = m
      if step % 4_000 == 3_999, config.isRocksDB, rng.below(2) == 0 {
        try h.backend.flush()
      }
    }

    // Every key, afterwards, in a fresh order.
    for key in (0..<keyCount).shuffled(using: &rng) { try check(key) }
    // And again after a flush (values now come from RocksDB for cached configurations too).
    try h.backend.flush()
    for key in 0..<keyCount { try check(key) }
    #expect(mismatches == 0)

    // Key iteration sees exactly the keys with a value.
    func expectKeys(_ name: String, _ has: (KeyModel) -> Bool) throws {
      let expected = model.filter { has($0.value) }.map(\.key)
      expectSameElements(try h.visitedKeys(name), expected)
    }
    try expectKeys("value") { $0.value != nil }
    try expectKeys("optional") { $0.optional != nil }
    try expectKeys("list") { !$0.list.isEmpty }
    try expectKeys("map") { !$0.map.isEmpty }
    try expectKeys("sum") { $0.sum != nil }
    try expectKeys("average") { $0.average != nil }
    try expectKeys("strings") { $0.strings != nil }
  }

  // MARK: Cache bookkeeping

  /// The write-back cache must stay within its budget: the budget's count of
  /// cached bytes must equal what the tables really hold.
  @Test func cacheBudgetMatchesCachedEntries() throws {
    let h = try StateHarness<Int>(.rocksTinyCache)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("counts"))
    let table = try #require(
      h.backend.registered["counts"]?.table as? RocksDBStateTable<Int, VoidNamespace, Int64>)
    var rng = SplitMix64(seed: 99)
    var model: [Int: Int64] = [:]
    for _ in 0..<20_000 {
      // A hot set that keeps being referenced plus a cold tail.
      let key = rng.below(3) == 0 ? rng.below(5_000) : rng.below(40)
      h.at(key)
      let next = (try state.value() ?? 0) + 1
      try state.update(next)
      model[key] = next
    }
    let cachedBytes = table.cachedCount * table.entryCost
    #expect(h.backend.budget.usedBytes == cachedBytes)
    #expect(h.backend.budget.usedBytes >= 0)
    #expect(cachedBytes <= h.backend.budget.limitBytes + table.entryCost)
    var wrong = 0
    for (key, expected) in model {
      h.at(key)
      if try state.value() != expected { wrong += 1 }
    }
    #expect(wrong == 0)
  }

  /// Regression: entries written to RocksDB by a flush (``KeyedStateBackend/bytesOnDisk()``,
  /// full snapshots) while the cache held the whole table were lost once
  /// evicted: the table still believed RocksDB held nothing and answered
  /// "absent" without reading it.
  @Test func flushedEntriesOfAFullyCachedTableSurviveEviction() throws {
    let h = try StateHarness<Int>(.rocksTinyCache)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("counts"))
    try h.update(state, 0..<5) { Int64($0) + 100 }
    _ = try h.backend.bytesOnDisk()
    // Reads of absent keys: clean cache entries that evict the others.
    #expect(try h.values(state, 1_000..<1_500).isEmpty)
    #expect(try h.values(state, 0..<5) == [0: 100, 1: 101, 2: 102, 3: 103, 4: 104])
  }

  /// Eviction when only a few entries are unreferenced: the second CLOCK round
  /// must not count the first round's victims twice.
  @Test func cacheBudgetStaysExactWhenFewEntriesAreCold() throws {
    let h = try StateHarness<Int>(.rocksTinyCache)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("counts"))
    let table = try #require(
      h.backend.registered["counts"]?.table as? RocksDBStateTable<Int, VoidNamespace, Int64>)
    var nextKey = 0
    var model: [Int: Int64] = [:]
    var drifted = 0
    for _ in 0..<300 {
      // Touch every cached key but the first in the cache's iteration order, so
      // that exactly one entry is cold and the second round of CLOCK meets it again ...
      let cached = table.cache.keys.map(\.key)
      let cold = cached.first
      for key in cached where key != cold {
        h.at(key)
        _ = try state.value()
      }
      // ... then write new keys until an eviction happens.
      let before = table.cachedCount
      var inserted = 0
      while table.cachedCount >= before + inserted && inserted < 1_000 {
        h.at(nextKey)
        try state.update(Int64(nextKey))
        model[nextKey] = Int64(nextKey)
        nextKey += 1
        inserted += 1
      }
      if h.backend.budget.usedBytes != table.cachedCount * table.entryCost { drifted += 1 }
    }
    #expect(drifted == 0)
    #expect(h.backend.budget.usedBytes == table.cachedCount * table.entryCost)
    #expect(table.cachedCount * table.entryCost <= h.backend.budget.limitBytes + table.entryCost)
    var wrong = 0
    for (key, expected) in model {
      h.at(key)
      if try state.value() != expected { wrong += 1 }
    }
    #expect(wrong == 0)
  }
}
