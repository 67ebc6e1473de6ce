import Foundation
import RocksDB
import Testing

@testable import Tributary

/// Declaration conflicts, use without a current key, and corrupt stored values.
@Suite struct StateErrorTests {
  @Test(arguments: StateConfig.allCases)
  func conflictingDeclarationsThrow(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let ctx = h.context
    let first = try ctx.state(ValueStateDescriptor<Int64>("shared"))
    func expectConflict(_ body: () throws -> Void) {
      let error = #expect(throws: StateError.self) { try body() }
      guard case .conflictingDeclaration(let state)? = error else {
        Issue.record("expected conflictingDeclaration, got \(String(describing: error))")
        return
      }
      #expect(state == "shared")
      #expect(error?.description.contains("shared") == true)
    }
    expectConflict { _ = try ctx.state(ListStateDescriptor<Int64>("shared")) }
    expectConflict { _ = try ctx.state(MapStateDescriptor<Int, Int64>("shared")) }
    expectConflict { _ = try ctx.state(ReducingStateDescriptor<Int64>("shared") { $0 + $1 }) }
    expectConflict {
      _ = try ctx.state(AggregatingStateDescriptor("shared", function: AverageAggregate()))
    }
    // Same kind, another value type.
    expectConflict { _ = try ctx.state(ValueStateDescriptor<String>("shared")) }
    // Declaring the same state again finds the same values.
    h.at(1)
    try first.update(42)
    let again = try ctx.state(ValueStateDescriptor<Int64>("shared"))
    #expect(try again.value() == 42)
    // Other names are independent.
    let other = try ctx.state(ListStateDescriptor<Int64>("other"))
    #expect(try other.get() == [])
  }

  @Test(arguments: StateConfig.allCases)
  func useWithoutCurrentKeyThrows(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let ctx = h.context
    let value = try ctx.state(ValueStateDescriptor<Int64>("v"))
    let ttlValue = try ctx.state(ValueStateDescriptor<Int64>("t", ttl: StateTTL(.seconds(1))))
    let list = try ctx.state(ListStateDescriptor<Int>("l"))
    let map = try ctx.state(MapStateDescriptor<Int, Int>("m"))
    let reducing = try ctx.state(ReducingStateDescriptor<Int64>("r") { $0 + $1 })
    let aggregating = try ctx.state(
      AggregatingStateDescriptor("a", function: AverageAggregate()))
    h.at(nil)
    func expectNoKey(_ name: String, _ body: () throws -> Void) {
      let error = #expect(throws: StateError.self) { try body() }
      guard case .noCurrentKey(let state)? = error else {
        Issue.record("\(name): expected noCurrentKey, got \(String(describing: error))")
        return
      }
      #expect(state == name)
    }
    expectNoKey("v") { _ = try value.value() }
    expectNoKey("v") { try value.update(1) }
    expectNoKey("v") { try value.clear() }
    expectNoKey("t") { _ = try ttlValue.value() }
    expectNoKey("t") { try ttlValue.update(1) }
    expectNoKey("l") { try list.add(1) }
    expectNoKey("l") { _ = try list.get() }
    expectNoKey("m") { try map.put(1, 1) }
    expectNoKey("m") { _ = try map.entries() }
    expectNoKey("r") { try reducing.add(1) }
    expectNoKey("a") { try aggregating.add(1) }
    // Nothing was stored by the failed calls.
    #expect(try h.visitedKeys("v").isEmpty)
    #expect(try h.visitedKeys("l").isEmpty)
  }

  /// Finds the RocksDB entry of `key` in state `stateId`.
  static func rocksKey(
    of key: Int, stateId: Int, in db: RocksDB
  ) throws -> [UInt8] {
    let prefix = stateBigEndian(stateKeyGroup(of: key)) + stateBigEndian(stateId)
    let entries = try db.scan(prefix: prefix)
    return try #require(entries.first { (try? Int.decode(Array($0.key[4...]))) == key }?.key)
  }

  static func expectCorrupt(
    _ name: String, keyGroup: Int, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
  ) {
    let error = #expect(throws: StateError.self, sourceLocation: sourceLocation) { try body() }
    guard case .corruptValue(let state, let group, _)? = error else {
      Issue.record(
        "expected corruptValue, got \(String(describing: error))", sourceLocation: sourceLocation)
      return
    }
    #expect(state == name, sourceLocation: sourceLocation)
    #expect(group == keyGroup, sourceLocation: sourceLocation)
    let description = error?.description ?? ""
    #expect(description.contains("'\(name)'"), sourceLocation: sourceLocation)
    #expect(description.contains("key group \(keyGroup)"), sourceLocation: sourceLocation)
  }

  static let corruptions: [(String, [UInt8])] = [
    ("truncated", [0x80, 0x00, 0x01]),
    ("trailing", [UInt8](repeating: 0x42, count: 11)),
    ("empty", []),
  ]

  @Test(arguments: 0..<corruptions.count)
  func corruptValueIsReportedWithStateAndKeyGroup(corruption: Int) throws {
    let h = try StateHarness<Int>(.rocksNoCache)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("balance"))
    let names = try h.context.state(ListStateDescriptor<String>("names"))
    for key in 0..<200 {
      h.at(key)
      try state.update(Int64(key))
      try names.add("n\(key)")
    }
    let db = try h.db
    let victim = 77
    let group = stateKeyGroup(of: victim)
    try db.put(
      try Self.rocksKey(of: victim, stateId: Int(h.backend.registered["balance"]!.id), in: db),
      Self.corruptions[corruption].1)
    // Invalid UTF-8 in a list element of another key.
    let victim2 = 78
    try db.put(
      try Self.rocksKey(of: victim2, stateId: Int(h.backend.registered["names"]!.id), in: db),
      [1, 2, 0xFF, 0xFE])

    h.at(victim)
    Self.expectCorrupt("balance", keyGroup: group) { _ = try state.value() }
    #expect(try names.get() == ["n77"])  // the other state of the key is intact
    h.at(victim2)
    Self.expectCorrupt("names", keyGroup: stateKeyGroup(of: victim2)) { _ = try names.get() }
    #expect(try state.value() == 78)
    h.at(5)
    #expect(try state.value() == 5)
    // Iteration decodes values too.
    Self.expectCorrupt("balance", keyGroup: group) { _ = try h.visitedKeys("balance") }
    // Overwriting the corrupt value repairs it.
    h.at(victim)
    try state.update(1)
    #expect(try state.value() == 1)
    #expect(try h.visitedKeys("balance").count == 200)
  }

  /// With the cache on, a value that was evicted (or dropped) is read back from
  /// RocksDB and a corrupt one is reported the same way.
  @Test func corruptValueBehindTheCache() throws {
    let h = try StateHarness<Int>(.rocksTinyCache)
    defer { h.close() }
    let state = try h.context.state(
      ValueStateDescriptor<String>("label", ttl: StateTTL(.seconds(60))))
    for key in 0..<500 {
      h.at(key)
      try state.update("label \(key)")
    }
    let table = try #require(
      h.backend.registered["label"]?.table
        as? RocksDBStateTable<Int, VoidNamespace, TimestampedValue<String>>)
    try table.flushAndDropCache()
    let db = try h.db
    try db.put(
      try Self.rocksKey(of: 300, stateId: Int(h.backend.registered["label"]!.id), in: db), [0, 0])
    h.at(300)
    Self.expectCorrupt("label", keyGroup: stateKeyGroup(of: 300)) { _ = try state.value() }
    h.at(301)
    #expect(try state.value() == "label 301")
  }
}
