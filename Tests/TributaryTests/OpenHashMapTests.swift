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

  /// A copy (the frozen state of a snapshot) holds exactly the entries at the
  /// moment it was taken, for plain-data entries (copied as one block of
  /// memory) and for entries with references (copied one by one).
  @Test func copyIsIndependentForPlainAndReferenceEntries() {
    let plain = OpenHashMap<Int64, Int64>()
    let strings = OpenHashMap<Int64, String>()
    for key in Int64(0)..<1_000 {
      plain.set(key + 1, forKey: key)
      strings.set("v\(key)", forKey: key)
    }
    let plainCopy = plain.copy()
    let stringsCopy = strings.copy()
    for key in Int64(0)..<500 {
      _ = plain.removeValue(forKey: key)
      strings.set("changed", forKey: key)
    }
    plain.set(-1, forKey: 5_000)
    var plainSeen: [Int64: Int64] = [:]
    plainCopy.forEach { plainSeen[$0] = $1 }
    var stringsSeen: [Int64: String] = [:]
    stringsCopy.forEach { stringsSeen[$0] = $1 }
    #expect(plainSeen == Dictionary(uniqueKeysWithValues: (Int64(0)..<1_000).map { ($0, $0 + 1) }))
    #expect(
      stringsSeen == Dictionary(uniqueKeysWithValues: (Int64(0)..<1_000).map { ($0, "v\($0)") }))
    #expect(plain.count == 501 && plainCopy.count == 1_000)
  }
}
