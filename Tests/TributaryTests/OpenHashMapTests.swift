import Testing

@testable import Tributary

/// The open-addressing map behind heap state, against a Dictionary model.
@Suite struct OpenHashMapTests {
  @Test(arguments: [1, 2, 3])
  func randomOperationsMatchADictionary(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let map = OpenHashMap<StateKey<Int, TimerAddress<VoidNamespace>>, Int>()
    var model: [StateKey<Int, TimerAddress<VoidNamespace>>: Int] = [:]
    var mismatches = 0
    for step in 0..<200_000 {
      let key = StateKey(
        Int(rng.next() % 13),
        TimerAddress(
          timestamp: Int64(rng.next() % 400), domain: .eventTime, namespace: VoidNamespace()))
      switch rng.next() % 5 {
      case 0, 1:
        map.set(step, forKey: key)
        model[key] = step
      case 2:
        if map.removeValue(forKey: key) != model.removeValue(forKey: key) { mismatches += 1 }
      case 3:
        let inserted: Bool = map.modify(key) { value in
          if value != nil { return false }
          value = step
          return true
        }
        if inserted != (model[key] == nil) { mismatches += 1 }
        if model[key] == nil { model[key] = step }
      default:
        map.modify(key) { $0 = nil }
        model[key] = nil
      }
      if map.value(forKey: key) != model[key] { mismatches += 1 }
      if step % 10_000 == 0 {
        for (k, v) in model where map.value(forKey: k) != v { mismatches += 1 }
      }
    }
    #expect(mismatches == 0)
    #expect(map.count == model.count)
    var seen = 0
    map.forEach { key, value in
      seen += 1
      if model[key] != value { mismatches += 1 }
    }
    #expect(seen == model.count)
    #expect(mismatches == 0)
  }

  /// Regression (W3 restores took a minute): entries restored in the slot order of a large
  /// map went into a map that grew step by step; a map reserved for them never grows and
  /// holds them all.
  @Test func reservedMapTakesEntriesInAnotherMapsSlotOrderWithoutGrowing() {
    let source = OpenHashMap<Int64, Int64>()
    for key in Int64(0)..<200_000 { source.set(key * 3, forKey: key) }
    let target = OpenHashMap<Int64, Int64>()
    target.reserveCapacity(source.count)
    let reserved = target.slotCount
    #expect(reserved >= 2 * source.count)
    source.forEach { key, value in target.set(value, forKey: key) }
    #expect(target.slotCount == reserved)
    #expect(target.count == 200_000)
    #expect(target.value(forKey: 199_999) == 599_997)
  }
}
