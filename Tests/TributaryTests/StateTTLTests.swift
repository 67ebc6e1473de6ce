import Foundation
import Testing

@testable import Tributary

/// State time-to-live driven by a `ManualProcessingClock`, on all four configurations.
@Suite struct StateTTLTests {
  static let ttl = StateTTL(.seconds(5))

  @Test func ttlConvertsDurationsToMilliseconds() {
    #expect(StateTTL(.seconds(5)).milliseconds == 5_000)
    #expect(StateTTL(.milliseconds(1_500)).milliseconds == 1_500)
    #expect(StateTTL(.microseconds(10)).milliseconds == 1)  // never zero
  }

  @Test(arguments: StateConfig.allCases)
  func valueExpiresExactlyAtTTL(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<String>("session", ttl: Self.ttl))
    let t = h.clock.nowMillis()
    h.at(1)
    try state.update("one")
    h.clock.set(t + 4_999)
    #expect(try state.value() == "one")
    h.clock.set(t + 5_000)
    #expect(try state.value() == nil)
    h.clock.set(t + 7_000)
    #expect(try state.value() == nil)
    // Expired values are removed, not only hidden: turning the clock back does not revive them.
    h.clock.set(t)
    #expect(try state.value() == nil)
  }

  @Test(arguments: StateConfig.allCases)
  func everyStateKindExpires(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let ctx = h.context
    let list = try ctx.state(ListStateDescriptor<Int>("list", ttl: Self.ttl))
    let map = try ctx.state(MapStateDescriptor<String, Int>("map", ttl: Self.ttl))
    let sum = try ctx.state(ReducingStateDescriptor<Int64>("sum", ttl: Self.ttl) { $0 + $1 })
    let avg = try ctx.state(
      AggregatingStateDescriptor("avg", function: AverageAggregate(), ttl: Self.ttl))
    let optional = try ctx.state(ValueStateDescriptor<Int?>("optional", ttl: Self.ttl))
    let t = h.clock.nowMillis()
    h.at(3)
    try list.add(1)
    try map.put("a", 1)
    try sum.add(4)
    try avg.add(4)
    try optional.update(.some(nil))
    h.clock.set(t + 4_999)
    #expect(try list.get() == [1])
    #expect(try map.get("a") == 1)
    #expect(try sum.get() == 4)
    #expect(try avg.get() == 4.0)
    #expect(try optional.value() == .some(nil))
    h.clock.set(t + 5_000)
    #expect(try list.get() == [])
    #expect(try map.entries().isEmpty)
    #expect(try sum.get() == nil)
    #expect(try avg.get() == nil)
    #expect(try optional.value() == nil)
    // Adding to an expired value starts afresh.
    try list.add(2)
    try sum.add(1)
    try avg.add(10)
    #expect(try list.get() == [2])
    #expect(try sum.get() == 1)
    #expect(try avg.get() == 10.0)
  }

  @Test(arguments: StateConfig.allCases)
  func writesRefreshTheTTLButReadsDoNot(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let value = try h.context.state(ValueStateDescriptor<Int64>("v", ttl: Self.ttl))
    let list = try h.context.state(ListStateDescriptor<Int>("l", ttl: Self.ttl))
    let t = h.clock.nowMillis()
    h.at(1)
    try value.update(1)
    try list.add(1)
    h.at(2)
    try value.update(2)
    h.clock.set(t + 4_000)
    h.at(1)
    try value.update(11)  // refresh key 1
    try list.add(2)  // add is a write too
    h.at(2)
    #expect(try value.value() == 2)  // a read: does not refresh key 2
    h.clock.set(t + 6_000)
    h.at(1)
    #expect(try value.value() == 11)
    #expect(try list.get() == [1, 2])
    h.at(2)
    #expect(try value.value() == nil)
    h.clock.set(t + 8_999)
    h.at(1)
    #expect(try value.value() == 11)
    h.clock.set(t + 9_000)
    #expect(try value.value() == nil)
    #expect(try list.get() == [])
  }

  @Test(arguments: StateConfig.allCases)
  func forEachKeySkipsAndRemovesExpiredKeys(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("v", ttl: Self.ttl))
    let t = h.clock.nowMillis()
    // Many keys so the tiny cache evicts; key k is written at t + (k % 10) * 1000.
    let keys = Array(0..<2_000)
    for second in 0..<10 {
      h.clock.set(t + Int64(second) * 1_000)
      for key in keys where key % 10 == second {
        h.at(key)
        try state.update(Int64(key))
      }
    }
    h.at(nil)
    // At t + 12_000 keys written at second >= 8 (t+8000, t+9000) are live; the rest expired.
    h.clock.set(t + 12_000)
    var seen: [Int] = []
    var wrong = 0
    try h.context.forEachKey(of: state) { key in
      seen.append(key)
      if try state.value() != Int64(key) { wrong += 1 }
    }
    expectSameElements(seen, keys.filter { $0 % 10 >= 8 })
    #expect(wrong == 0)
    #expect(h.backend.current.key == nil)  // the previous (absent) key is restored
    // Expired keys were removed while iterating: turning the clock back does not revive them.
    h.clock.set(t + 9_000)
    expectSameElements(try h.visitedKeys("v"), keys.filter { $0 % 10 >= 8 })
    h.clock.set(t + 20_000)
    #expect(try h.visitedKeys("v").isEmpty)
  }
}
