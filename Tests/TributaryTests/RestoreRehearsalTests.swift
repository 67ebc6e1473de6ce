import Foundation
import Testing

@testable import Tributary

/// The read-back of an adaptive checkpoint interval restores a checkpoint's
/// keyed state into scratch backends like the operator's own, by the real
/// restore's code: every entry is inserted into the declared states, and the
/// scratch RocksDB directory is gone afterwards.
@Suite struct RestoreRehearsalTests {
  /// The snapshots of every subtask of an operator with `parallelism`
  /// backends of `config`, holding `keys` values in a value state and one
  /// namespaced entry per key (each in the subtask owning it), and the
  /// rehearsals their declarations published.
  static func snapshots(
    _ config: StateConfig, directory: URL, parallelism: Int, keys: Int
  ) throws -> ([(subtask: Int, parallelism: Int, bytes: [UInt8])], RestoreRehearsals) {
    let rehearsals = RestoreRehearsals()
    var snapshots: [(subtask: Int, parallelism: Int, bytes: [UInt8])] = []
    var scratch = BinaryWriter(capacity: 16)
    for subtask in 0..<parallelism {
      var context = OperatorContext(
        operatorName: "Count", subtaskIndex: subtask, parallelism: parallelism,
        maxParallelism: 128, stateBackend: config.configuration(directory: directory.path),
        operatorID: "count-op")
      context.restoreRehearsals = rehearsals
      let backend = try KeyedStateBackend<Int>(context: context)
      defer { backend.close() }
      let keyed = try KeyedContext(operatorContext: context, stateBackend: backend)
      let counts = try keyed.state(ValueStateDescriptor<Int>("count"))
      let windows = try backend.namespacedState(
        "windows", namespace: Int.self, value: String.self)
      for key in 0..<keys
      where context.keyGroupRange.contains(
        KeyGroups.keyGroup(of: key, maxParallelism: 128, scratch: &scratch))
      {
        backend.current.key = key
        try counts.update(key * 2)
        try windows.put(key, key % 7, "w\(key)")
      }
      snapshots.append((subtask, parallelism, try backend.snapshot().bytes))
    }
    return (snapshots, rehearsals)
  }

  @Test(arguments: [(StateConfig.heap, 1), (.rocksDefaultCache, 1), (.rocksNoCache, 2)])
  func aRehearsalInsertsEveryEntryAndRemovesItsScratchDirectory(
    config: StateConfig, parallelism: Int
  ) throws {
    let root = try temporaryDirectory("tributary-rehearsal")
    defer { try? FileManager.default.removeItem(at: root) }
    let (snapshots, rehearsals) = try Self.snapshots(
      config, directory: root, parallelism: parallelism, keys: 2_000)
    let rehearsal = try #require(rehearsals.rehearsal(for: "count-op"))
    #expect(rehearsal.parallelism == parallelism)
    let outcome = try rehearsals.rehearse([
      "count-op": snapshots,
      "not-keyed": [(subtask: 0, parallelism: 1, bytes: [1, 2, 3])],
    ])
    // Both states, every key: each scratch subtask keeps its own key groups.
    #expect(outcome.decodedEntries == 4_000)
    #expect(outcome.insertedEntries == 4_000, "declarations replayed insert every entry")
    #expect(outcome.cpuMillis > 0)
    #expect(outcome.restoreMillis > 0 && outcome.restoreMillis <= outcome.cpuMillis)
    if config.isRocksDB {
      let scratch = try #require(outcome.scratchDirectory)
      #expect(scratch.hasPrefix(root.path + "/tributary-readback-"))
      #expect(!FileManager.default.fileExists(atPath: scratch))
    } else {
      #expect(outcome.scratchDirectory == nil)
    }
    // Only the snapshot's own backend's directory was ever there, and it is closed.
    #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
  }

  @Test func aStateTheOperatorNeverDeclaredIsDecodedButNotInserted() throws {
    let root = try temporaryDirectory("tributary-rehearsal")
    defer { try? FileManager.default.removeItem(at: root) }
    let (snapshots, _) = try Self.snapshots(.heap, directory: root, parallelism: 1, keys: 100)
    // A run whose operator declared only "count": "windows" stays pending.
    let rehearsals = RestoreRehearsals()
    var context = OperatorContext(
      operatorName: "Count", subtaskIndex: 0, parallelism: 1, maxParallelism: 128,
      operatorID: "count-op")
    context.restoreRehearsals = rehearsals
    let backend = try KeyedStateBackend<Int>(context: context)
    defer { backend.close() }
    _ = try KeyedContext(operatorContext: context, stateBackend: backend)
      .state(ValueStateDescriptor<Int>("count"))
    let outcome = try rehearsals.rehearse([
      "count-op": snapshots
    ])
    #expect(outcome.decodedEntries == 200)
    #expect(outcome.insertedEntries == 100)
  }

  @Test func theRegistryDoesNotOutliveItsRun() throws {
    let root = try temporaryDirectory("tributary-rehearsal")
    defer { try? FileManager.default.removeItem(at: root) }
    weak var registry: RestoreRehearsals?
    do {
      let (_, rehearsals) = try Self.snapshots(.heap, directory: root, parallelism: 1, keys: 10)
      registry = rehearsals
      #expect(registry?.rehearsal(for: "count-op") != nil)
    }
    #expect(registry == nil, "a published rehearsal must not keep its registry alive")
  }

  @Test func withoutRehearsalsABackendKeepsNoDeclarations() throws {
    let backend = try KeyedStateBackend<Int>(
      context: OperatorContext(
        operatorName: "Count", subtaskIndex: 0, parallelism: 1,
        maxParallelism: 128))
    defer { backend.close() }
    _ = try KeyedContext(
      operatorContext: backend.context, stateBackend: backend
    ).state(ValueStateDescriptor<Int>("count"))
    #expect(backend.declarations.isEmpty)
  }
}
