import Foundation
import Testing

@testable import Tributary

/// `KeyedContext.forEachKey` on all four configurations.
@Suite struct StateIterationTests {
  @Test(arguments: StateConfig.allCases)
  func forEachKeyVisitsExactlyTheKeysWithValues(config: StateConfig) throws {
    let h = try StateHarness<String>(config)
    defer { h.close() }
    let value = try h.context.state(ValueStateDescriptor<Int64>("value"))
    let list = try h.context.state(ListStateDescriptor<String>("list"))
    let map = try h.context.state(MapStateDescriptor<Int, String>("map"))
    let keys = (0..<3_000).map { "key-\($0)" }
    for (i, key) in keys.enumerated() {
      h.at(key)
      try value.update(Int64(i))
      if i % 2 == 0 { try list.add(key) }
      if i % 3 == 0 { try map.put(i, key) }
    }
    // Clear some values through every clearing path.
    for (i, key) in keys.enumerated() {
      h.at(key)
      if i % 5 == 0 { try value.clear() }
      if i % 7 == 0 { try value.update(nil) }
      if i % 4 == 0 { try list.update([]) }
      if i % 6 == 0 { try map.remove(i) }  // removes the only entry: the map goes
    }
    h.at(nil)
    let indices = Array(keys.indices)
    let expectedValue = indices.filter { $0 % 5 != 0 && $0 % 7 != 0 }
    let expectedList = indices.filter { $0 % 2 == 0 && $0 % 4 != 0 }
    let expectedMap = indices.filter { $0 % 3 == 0 && $0 % 6 != 0 }

    // The body reads the visited key's state (of this and of other states).
    var visited: [String] = []
    var wrong = 0
    try h.context.forEachKey(of: value) { key in
      visited.append(key)
      #expect(h.context.key == key)
      let i = Int(key.dropFirst(4))!
      if try value.value() != Int64(i) { wrong += 1 }
      let expectedList = i % 2 == 0 && i % 4 != 0 ? [key] : []
      if try list.get() != expectedList { wrong += 1 }
    }
    expectSameElements(visited, expectedValue.map { keys[$0] })
    #expect(wrong == 0)
    expectSameElements(try h.visitedKeys("list"), expectedList.map { keys[$0] })
    try h.context.forEachKey(inState: "map") { key in
      let i = Int(key.dropFirst(4))!
      if try map.entries() != [i: key] { wrong += 1 }
    }
    #expect(wrong == 0)
    expectSameElements(try h.visitedKeys("map"), expectedMap.map { keys[$0] })
    // An undeclared state has no keys.
    #expect(try h.visitedKeys("never declared").isEmpty)
  }

  @Test(arguments: StateConfig.allCases)
  func bodyMayChangeStateAndPreviousKeyIsRestored(config: StateConfig) throws {
    let h = try StateHarness<Int>(config)
    defer { h.close() }
    let state = try h.context.state(ValueStateDescriptor<Int64>("n"))
    for key in 0..<1_000 {
      h.at(key)
      try state.update(Int64(key))
    }
    h.at(123_456)
    var count = 0
    try h.context.forEachKey(of: state) { key in
      count += 1
      if key % 2 == 0 { try state.clear() } else { try state.update(Int64(key) * 10) }
    }
    #expect(count == 1_000)
    #expect(h.backend.current.key == 123_456)
    var wrong = 0
    try h.context.forEachKey(of: state) { key in
      if try key % 2 == 0 || state.value() != Int64(key) * 10 { wrong += 1 }
    }
    #expect(wrong == 0)
    expectSameElements(try h.visitedKeys("n"), (0..<1_000).filter { $0 % 2 == 1 })
  }

  /// A RocksDB subtask iterates only its own key groups; keys of its groups are all found.
  @Test(arguments: StateConfig.allCases)
  func forEachKeyOnSecondSubtask(config: StateConfig) throws {
    let h = try StateHarness<Int>(config, subtask: 1, parallelism: 2)
    defer { h.close() }
    let range = h.operatorContext.keyGroupRange
    let keys = (0..<4_000).filter { range.contains(stateKeyGroup(of: $0)) }
    #expect(keys.count > 1_000)
    let state = try h.context.state(ValueStateDescriptor<Int64>("n"))
    for key in keys {
      h.at(key)
      try state.update(Int64(key))
    }
    expectSameElements(try h.visitedKeys("n"), keys)
  }
}
