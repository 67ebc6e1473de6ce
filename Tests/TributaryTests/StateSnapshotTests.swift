import Testing

@testable import Tributary

/// Keyed-state snapshots restore on either backend and redistribute by key group.
@Suite struct StateSnapshotTests {
  static let pairs: [(StateConfig, StateConfig)] = [
    (.heap, .heap), (.heap, .rocksTinyCache), (.rocksTinyCache, .heap),
    (.rocksNoCache, .rocksDefaultCache),
  ]

  @Test(arguments: 0..<pairs.count)
  func snapshotRestoresWithAnotherParallelismAndBackend(pair: Int) throws {
    let (from, to) = Self.pairs[pair]
    // Write state for 2,000 keys in one subtask.
    let source = try StateHarness<Int>(from)
    defer { source.close() }
    let values = try source.context.state(ValueStateDescriptor<Int64>("values"))
    let lists = try source.context.state(ListStateDescriptor<String>("lists"))
    var expectedValues: [Int: Int64] = [:]
    var expectedLists: [Int: [String]] = [:]
    for key in 0..<2_000 {
      source.at(key)
      try values.update(Int64(key * 3))
      expectedValues[key] = Int64(key * 3)
      if key % 3 == 0 {
        try lists.addAll(["a\(key)", "b\(key)"])
        expectedLists[key] = ["a\(key)", "b\(key)"]
      }
    }
    let snapshot = try source.backend.snapshot()

    // Restore into two subtasks of parallelism 2: each gets exactly its key groups.
    var seen = 0
    for subtask in 0..<2 {
      let target = try StateHarness<Int>(to, subtask: subtask, parallelism: 2)
      defer { target.close() }
      try target.backend.restore(from: [snapshot])  // before declaration: held as pending
      let restoredValues = try target.context.state(ValueStateDescriptor<Int64>("values"))
      let restoredLists = try target.context.state(ListStateDescriptor<String>("lists"))
      let range = target.operatorContext.keyGroupRange
      var mismatches = 0
      for key in 0..<2_000 {
        target.at(key)
        let owned = range.contains(stateKeyGroup(of: key))
        let value = try restoredValues.value()
        if owned {
          seen += 1
          if value != expectedValues[key] { mismatches += 1 }
          if try restoredLists.get() != (expectedLists[key] ?? []) { mismatches += 1 }
        } else if value != nil {
          mismatches += 1
        }
      }
      #expect(mismatches == 0, "subtask \(subtask): \(mismatches) mismatches")
    }
    #expect(seen == 2_000)
  }

  @Test func restoringIntoDeclaredStateAndResnapshotting() throws {
    let source = try StateHarness<String>(.heap)
    defer { source.close() }
    let counts = try source.context.state(ValueStateDescriptor<Int>("counts"))
    for word in ["a", "b", "c"] {
      source.at(word)
      try counts.update(word.count * 10)
    }
    let first = try source.backend.snapshot()
    let target = try StateHarness<String>(.rocksTinyCache)
    defer { target.close() }
    let restored = try target.context.state(ValueStateDescriptor<Int>("counts"))
    try target.backend.restore(from: [first])  // after declaration: applied at once
    let second = try target.backend.snapshot()
    // A run that restores but never declares the state carries it into its own snapshot.
    let third = try StateHarness<String>(.heap)
    defer { third.close() }
    try third.backend.restore(from: [second])
    let carried = try third.backend.snapshot()
    let fourth = try StateHarness<String>(.rocksNoCache)
    defer { fourth.close() }
    try fourth.backend.restore(from: [carried])
    let again = try fourth.context.state(ValueStateDescriptor<Int>("counts"))
    for word in ["a", "b", "c"] {
      target.at(word)
      fourth.at(word)
      #expect(try restored.value() == 10)
      #expect(try again.value() == 10)
    }
  }

  @Test func corruptSnapshotIsAClearError() throws {
    let source = try StateHarness<Int>(.heap)
    defer { source.close() }
    let values = try source.context.state(ValueStateDescriptor<Int64>("values"))
    for key in 0..<50 {
      source.at(key)
      try values.update(Int64(key))
    }
    let bytes = try source.backend.snapshot().bytes
    let target = try StateHarness<Int>(.heap)
    defer { target.close() }
    for cut in [3, bytes.count / 2, bytes.count - 1] {
      #expect(throws: StateError.self) {
        try target.backend.restore(from: [KeyedStateSnapshot(bytes: Array(bytes.prefix(cut)))])
      }
    }
  }
}
