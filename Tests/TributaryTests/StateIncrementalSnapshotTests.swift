import Foundation
import RocksDB
import Testing

@testable import Tributary

/// Native, incremental RocksDB snapshots: every snapshot restores exactly the
/// state at its moment (checked against a model, on a heap backend), and an
/// unchanged SST file is stored once and referenced by later checkpoints.
@Suite struct StateIncrementalSnapshotTests {
  /// Sets `values` of every key in `keys` to `value(key)` (the key itself by default).
  func update(
    _ harness: StateHarness<Int>, _ values: ValueState<Int64>, _ keys: Range<Int>,
    _ value: (Int) -> Int64 = { Int64($0) }
  ) throws {
    try harness.update(values, keys, value)
  }

  /// Takes a native snapshot of `harness` for checkpoint `id` into `storage`.
  func nativeSnapshot(
    _ harness: StateHarness<Int>, id: Int64, storage: CheckpointStorage
  ) throws -> OperatorSnapshot {
    let produce = try harness.backend.prepareSnapshot(
      SnapshotRequest(checkpoint: id, storage: storage))
    return try produce()
  }

  /// Reads a native snapshot back (as a restore does) into a heap backend.
  func restoredValues(
    _ snapshot: OperatorSnapshot, storage: CheckpointStorage
  ) throws -> (values: [Int: Int64], lists: [Int: [String]]) {
    var portable = KeyedStateSnapshot(bytes: snapshot.bytes)
    if !snapshot.files.isEmpty {
      let manifest = try NativeSnapshotManifest(decoding: snapshot.bytes)
      portable = try manifest.portableSnapshot(
        files: snapshot.files.map { storage.directory.appendingPathComponent($0.path) },
        scratchParent: NSTemporaryDirectory())
    }
    let target = try StateHarness<Int>(.heap)
    defer { target.close() }
    try target.backend.restore(from: [portable])
    let values = try target.context.state(ValueStateDescriptor<Int64>("values"))
    let lists = try target.context.state(ListStateDescriptor<String>("lists"))
    var restored: (values: [Int: Int64], lists: [Int: [String]]) = ([:], [:])
    for key in try target.backend.keys(inState: "values") {
      target.at(key)
      restored.values[key] = try values.value()
    }
    for key in try target.backend.keys(inState: "lists") {
      target.at(key)
      restored.lists[key] = try lists.get()
    }
    return restored
  }

  @Test(arguments: StateConfig.rocksOnly)
  func everySnapshotRestoresExactlyItsState(config: StateConfig) throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(config, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    let lists = try harness.context.state(ListStateDescriptor<String>("lists"))
    var model: (values: [Int: Int64], lists: [Int: [String]]) = ([:], [:])
    var random = SplitMix64(seed: 42)
    for round in 1...5 {
      // Puts, overwrites and removals, including of keys a snapshot already holds.
      // Large rounds are written through SST ingestion, round 4 through the memtable.
      let operations = round == 4 ? 20 : 12_000
      for _ in 0..<operations {
        let key = Int(random.next() % 6_000)
        harness.at(key)
        switch random.next() % 5 {
        case 0:
          try values.clear()
          model.values[key] = nil
        case 1:
          try lists.add("r\(round)")
          model.lists[key, default: []].append("r\(round)")
        case 2:
          try lists.clear()
          model.lists[key] = nil
        default:
          let value = Int64(random.next() % 1_000_000)
          try values.update(value)
          model.values[key] = value
        }
      }
      let snapshot = try nativeSnapshot(harness, id: Int64(round), storage: fixture.storage)
      #expect(snapshot.files.contains { $0.path.hasSuffix(".sst") })
      let restored = try restoredValues(snapshot, storage: fixture.storage)
      let valuesMatch = restored.values == model.values
      let listsMatch = restored.lists == model.lists
      #expect(
        valuesMatch, "round \(round): \(restored.values.count) of \(model.values.count) values")
      #expect(listsMatch, "round \(round): \(restored.lists.count) of \(model.lists.count) lists")
    }
  }

  /// Entries created and removed between two snapshots (closed windows, say)
  /// never reach the change log: only removals of entries the last snapshot
  /// holds do (every short-lived entry used to be logged as a delete and
  /// applied to the snapshot database).
  @Test func shortLivedEntriesStayOutOfTheChangeLog() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksDefaultCache, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    var model: [Int: Int64] = [:]
    for key in 0..<100 {
      harness.at(key)
      try values.update(Int64(key))
      model[key] = Int64(key)
    }
    _ = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    for key in 1_000..<2_000 {
      harness.at(key)
      try values.update(1)
      try values.clear()
    }
    for key in [5, 7] {
      harness.at(key)
      try values.clear()
      model[key] = nil
    }
    let table = try #require(
      harness.backend.registered["values"]?.table as? RocksDBStateTable<Int, VoidNamespace, Int64>)
    #expect(table.changeLog.count == 2, "only the two removals of snapshotted keys")
    let snapshot = try nativeSnapshot(harness, id: 2, storage: fixture.storage)
    #expect(try restoredValues(snapshot, storage: fixture.storage).values == model)
  }

  /// Regression: a full native snapshot flushes every table, also one that
  /// the cache held entirely. Its entries, clean after the flush, were then
  /// evicted without the table noting that RocksDB now held them, and read
  /// back as absent (after a restore, a window lost its result).
  @Test func entriesFlushedByAFullSnapshotSurviveEviction() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksTinyCache, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let small = try harness.context.state(ValueStateDescriptor<Int64>("small"))
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    try update(harness, small, 0..<5) { Int64($0) + 100 }
    try update(harness, values, 0..<2_000)  // overflows the cache: "values" evicts
    _ = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    // Reads of absent keys fill the cache with clean entries and evict those of "small".
    #expect(try harness.values(small, 1_000..<1_200).isEmpty)
    #expect(try harness.values(small, 0..<5) == [0: 100, 1: 101, 2: 102, 3: 103, 4: 104])
  }

  /// After a snapshot's changes failed to apply, the snapshot database lacks
  /// them: an incremental snapshot already queued behind it must fail (its
  /// checkpoint is declined) instead of storing a snapshot without those
  /// changes, until a full snapshot rebuilds the database.
  @Test func aFailedApplyRefusesIncrementalSnapshotsUntilAFullOne() throws {
    let fixture = try CheckpointStorageFixture()
    let directory = try temporaryDirectory("tributary-snapshots")
    defer { try? FileManager.default.removeItem(at: directory) }
    let snapshots = try IncrementalRocksDBSnapshots(
      directory: directory.path + "/snapshots", options: RocksDBOptions(),
      filePrefix: "rocksdb/test")
    defer { snapshots.close() }
    let layout = [IncrementalRocksDBSnapshots.StateLayout(id: 1, name: "values", kind: "value")]
    typealias Write = @Sendable (RocksDB) throws -> Void
    func put(_ key: UInt8) -> Write { { db in try db.put([0, 0, 0, 1, key], [key]) } }
    let failing: Write = { _ in throw RocksDBError(operation: "test", message: "injected failure") }
    func prepare(full: Bool, _ writes: [Write]) -> (Int64) throws -> OperatorSnapshot {
      let store = snapshots.prepare(full: full, base: nil, writes: writes, layout: layout)
      return { id in try store(SnapshotRequest(checkpoint: id, storage: fixture.storage)) }
    }
    _ = try prepare(full: true, [put(1)])(1)
    // Both prepared before either runs, as when checkpoints follow each other closely.
    let second = prepare(full: false, [put(2), failing])
    let third = prepare(full: false, [put(3)])
    #expect(throws: RocksDBError.self) { _ = try second(2) }
    #expect(throws: RocksDBError.self) { _ = try third(3) }
    #expect(snapshots.needsFullSnapshot(layout: layout))
    let rebuilt = try prepare(full: true, [put(1), put(3)])(4)
    #expect(rebuilt.files.contains { $0.path.hasSuffix(".sst") })
  }

  @Test func unchangedSSTFilesAreStoredOnce() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksDefaultCache, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    try update(harness, values, 0..<20_000)
    // A full native snapshot, then one with a single change.
    _ = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    harness.at(19_999)
    try values.update(19_999)
    let first = try nativeSnapshot(harness, id: 2, storage: fixture.storage)
    for key in 0..<5 {
      harness.at(key)
      try values.update(-1)
    }
    let second = try nativeSnapshot(harness, id: 3, storage: fixture.storage)
    let firstShared = Set(first.files.filter(\.shared).map(\.path))
    let secondShared = second.files.filter(\.shared)
    // Every SST of the first snapshot is still live and referenced, not copied again.
    #expect(!firstShared.isEmpty)
    #expect(firstShared.isSubset(of: Set(secondShared.map(\.path))))
    let full = second.files.reduce(0) { $0 + $1.size }
    let added = second.files.filter { !firstShared.contains($0.path) }.reduce(0) { $0 + $1.size }
    #expect(added * 5 < full, "second checkpoint wrote \(added) of \(full) bytes")
    let restored = try restoredValues(second, storage: fixture.storage)
    #expect(restored.values.count == 20_000)
    #expect(restored.values[3] == -1 && restored.values[7] == 7)
  }

  @Test func aReusedFileThatRetentionDeletedIsStoredAgain() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksDefaultCache, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    try update(harness, values, 0..<1_000)
    let first = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    // The first checkpoint is aborted: its shared files are not referenced any more.
    for file in first.files where file.shared {
      try FileManager.default.removeItem(at: fixture.url(file.path))
    }
    try fixture.storage.abort(id: 1)
    let second = try nativeSnapshot(harness, id: 2, storage: fixture.storage)
    for file in second.files { #expect(fixture.exists(file.path), "\(file.path)") }
    #expect(try restoredValues(second, storage: fixture.storage).values.count == 1_000)
  }

  /// Regression: declaring a state after a snapshot forces a full one into a new snapshot
  /// database, whose file numbers start again; its SST files must not be mistaken for the
  /// earlier ones of the same name.
  @Test func aStateDeclaredAfterASnapshotIsInTheNextOne() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksDefaultCache, rocksDBSnapshots: .incremental)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    try update(harness, values, 0..<1_000)
    _ = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    let lists = try harness.context.state(ListStateDescriptor<String>("lists"))
    for key in 0..<500 {
      harness.at(key)
      try lists.add("late \(key)")
      try values.update(Int64(-key))
    }
    let second = try nativeSnapshot(harness, id: 2, storage: fixture.storage)
    let restored = try restoredValues(second, storage: fixture.storage)
    #expect(restored.values.count == 1_000)
    #expect(restored.values[7] == -7 && restored.values[700] == 700)
    #expect(restored.lists.count == 500)
    #expect(restored.lists[3] == ["late 3"])
  }

  @Test func automaticSnapshotsArePortableForSmallOrMostlyChangedState() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksDefaultCache)  // automatic
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    // Small state: portable, however little changed.
    try update(harness, values, 0..<1_000) { Int64($0) }
    #expect(try nativeSnapshot(harness, id: 1, storage: fixture.storage).files.isEmpty)
    try update(harness, values, 0..<1) { _ in -1 }
    #expect(try nativeSnapshot(harness, id: 2, storage: fixture.storage).files.isEmpty)
    // Large state, all of it new: portable.
    let large = StateBackendConfiguration.incrementalMinimumEntries + 20_000
    try update(harness, values, 0..<large) { Int64($0) }
    let first = try nativeSnapshot(harness, id: 3, storage: fixture.storage)
    #expect(first.files.isEmpty)
    #expect(try restoredValues(first, storage: fixture.storage).values.count == large)
    // Few changes: native, and full (it cannot build on a portable snapshot).
    try update(harness, values, 0..<5) { _ in -5 }
    let second = try nativeSnapshot(harness, id: 4, storage: fixture.storage)
    #expect(second.files.contains { $0.path.hasSuffix(".sst") })
    // Just under one entry in `portableChangeRatio` changed: native.
    let share = large / StateBackendConfiguration.portableChangeRatio
    try update(harness, values, 0..<(share - 1_000)) { Int64($0) * 3 }
    let under = try nativeSnapshot(harness, id: 5, storage: fixture.storage)
    #expect(under.files.contains { $0.path.hasSuffix(".sst") })
    // Just over it: portable (writing that many entries into the snapshot
    // database costs more than encoding them all).
    try update(harness, values, 0..<(share + 1_000)) { Int64($0) * 4 }
    let over = try nativeSnapshot(harness, id: 6, storage: fixture.storage)
    #expect(over.files.isEmpty)
    #expect(try restoredValues(over, storage: fixture.storage).values[7] == 28)
    // Most entries changed: portable again; then native (full) once more.
    try update(harness, values, 0..<(large * 3 / 4)) { Int64($0) * 2 }
    harness.at(large - 1)
    try values.clear()
    let third = try nativeSnapshot(harness, id: 7, storage: fixture.storage)
    #expect(third.files.isEmpty)
    let restored = try restoredValues(third, storage: fixture.storage)
    #expect(restored.values.count == large - 1)
    #expect(restored.values[7] == 14 && restored.values[large - 2] == Int64(large - 2))
    try update(harness, values, 0..<1) { _ in -9 }
    let fourth = try nativeSnapshot(harness, id: 8, storage: fixture.storage)
    #expect(fourth.files.contains { $0.path.hasSuffix(".sst") })
    let final = try restoredValues(fourth, storage: fixture.storage)
    #expect(final.values.count == large - 1 && final.values[0] == -9 && final.values[4] == 8)
  }

  /// The default portable format keeps no snapshot database (and so no change tracking).
  @Test func portableSnapshotsOfRocksDBKeepNoSnapshotDatabase() throws {
    let fixture = try CheckpointStorageFixture()
    let harness = try StateHarness<Int>(.rocksTinyCache, rocksDBSnapshots: .portable)
    defer { harness.close() }
    let values = try harness.context.state(ValueStateDescriptor<Int64>("values"))
    try update(harness, values, 0..<2_000)
    let snapshot = try nativeSnapshot(harness, id: 1, storage: fixture.storage)
    #expect(snapshot.files.isEmpty)
    #expect(try restoredValues(snapshot, storage: fixture.storage).values.count == 2_000)
    let working = try #require(harness.backend.workingDirectory)
    #expect(!FileManager.default.fileExists(atPath: working + ".snapshots"))
    #expect(harness.backend.incrementalSnapshots == nil)
  }
}
