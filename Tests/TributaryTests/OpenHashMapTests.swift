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
}
