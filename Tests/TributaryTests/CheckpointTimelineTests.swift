import Foundation
import Testing

@testable import Tributary

/// The checkpoint directory's history: one source of ids, abandoned timelines,
/// "something completed" surviving a deleted `_metadata`, and aborts that never
/// delete what completed.
@Suite("Checkpoint timeline")
struct CheckpointTimelineTests {
  @Test("begin abandons every used id above the base; the base itself is never abandoned")
  func beginAbandonsNewerIDs() {
    var timeline = CheckpointTimeline()
    #expect(timeline.begin(from: nil, highestIDOnDisk: 0) == nil)
    timeline.completed(1)
    timeline.completed(2)
    timeline.used(3)
    #expect(timeline.highestCompletedID == 2)
    // A fallback to 1 (2 unusable, 3 never completed) abandons 2 and 3.
    let base = CheckpointTimeline.Base(id: 1, path: "/ck/chk-1")
    #expect(timeline.begin(from: base, highestIDOnDisk: 3) == 2...3)
    #expect(timeline.highestCompletedID == 1)
    #expect(!timeline.isAbandoned(1) && timeline.isAbandoned(2) && timeline.isAbandoned(3))
    // The new timeline takes 4 and 5; a restore from 3 (explicitly chosen)
    // revives 3 and abandons 4 and 5.
    timeline.completed(4)
    timeline.completed(5)
    let range = timeline.begin(
      from: CheckpointTimeline.Base(id: 3, path: "/ck/chk-3"), highestIDOnDisk: 5)
    #expect(range == 4...5)
    #expect(timeline.abandoned == [2...2, 4...5])
    #expect(!timeline.isAbandoned(3))
    // --fresh abandons everything used so far.
    #expect(timeline.begin(from: nil, highestIDOnDisk: 0) == 1...5)
    #expect(timeline.abandoned == [1...5])
    #expect(timeline.highestCompletedID == 0 && timeline.highestUsedID == 5)
  }

  @Test("the file round-trips, and damaged files are rejected with a reason")
  func encoding() throws {
    var timeline = CheckpointTimeline()
    timeline.completed(7)
    timeline.begin(
      from: CheckpointTimeline.Base(id: 4, path: "/data/my ckpt/chk-4"), highestIDOnDisk: 9)
    let decoded = try CheckpointTimeline(decoding: timeline.encoded)
    #expect(decoded == timeline)
    #expect(decoded.base?.path == "/data/my ckpt/chk-4")
    for bad in [
      "", "tributary-timeline 2\n", "tributary-timeline 1\nused x\n",
      "tributary-timeline 1\nabandoned 5 3\n", "tributary-timeline 1\nbase 3\n",
      "tributary-timeline 1\nwhat 1\n",
    ] {
      #expect(throws: CheckpointTimelineError.self) { _ = try CheckpointTimeline(decoding: bad) }
    }
  }

  @Test("ids continue after a fallback, across reopening, even past removed directories")
  func idsContinueAfterFallback() throws {
    let fixture = try CheckpointStorageFixture()
    for id in Int64(1)...3 {
      try fixture.commit(id, files: [try fixture.privateFile("a", checkpoint: id)])
    }
    _ = try fixture.privateFile("a", checkpoint: 4)  // killed while taking 4
    try fixture.flipBit(in: "chk-3/a", at: 0)
    try fixture.reopen()
    let point = try #require(try fixture.storage.restorePoint())
    #expect(point.metadata.id == 2)
    #expect(point.skipped.map(\.id) == [4, 3])
    #expect(point.skipped[1].reason.contains("corrupted"))
    #expect(try fixture.storage.removeIncompleteCheckpoints() == ["chk-4"])
    #expect(!fixture.exists("chk-4"))
    let abandoned = try fixture.storage.beginTimeline(
      from: CheckpointTimeline.Base(id: 2, path: point.path))
    #expect(abandoned == [3])
    try fixture.reopen()
    #expect(fixture.storage.timeline.highestUsedID == 4)
    #expect(fixture.storage.timeline.isAbandoned(3))
    // The new timeline's checkpoints 5…12 with retention: the abandoned 3 goes once
    // three newer ones exist, and the newest is what a restart resumes from.
    for id in Int64(5)...12 {
      try fixture.commit(id, files: [try fixture.privateFile("a", checkpoint: id)])
      try fixture.storage.retain(latest: 3)
    }
    try fixture.reopen()
    #expect(try fixture.storage.restorePoint()?.metadata.id == 12)
    #expect(fixture.storage.completedCheckpoints() == [10, 11, 12])
  }

  @Test("an abandoned checkpoint is never resumed from, and retention keeps it until replaced")
  func abandonedCheckpointsAreSkipped() throws {
    let fixture = try CheckpointStorageFixture()
    for id in Int64(1)...3 { try fixture.commit(id, files: []) }
    try fixture.storage.beginTimeline(
      from: CheckpointTimeline.Base(id: 1, path: fixture.url("chk-1").path))
    try fixture.reopen()
    // Crashed before the new timeline completed anything: resume from 1, not 3.
    #expect(try fixture.storage.restorePoint()?.metadata.id == 1)
    try fixture.commit(4, files: [])
    try fixture.storage.retain(latest: 2)
    #expect(fixture.storage.completedCheckpoints() == [1, 2, 3, 4])
    try fixture.commit(5, files: [])
    try fixture.storage.retain(latest: 2)
    #expect(fixture.storage.completedCheckpoints() == [4, 5])
  }

  @Test("a deleted _metadata of the newest checkpoint is not mistaken for a fresh directory")
  func deletedMetadataRefusesToStartFromScratch() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [try fixture.privateFile("a", checkpoint: 1)])
    try FileManager.default.removeItem(at: fixture.url("chk-1/_metadata"))
    try fixture.reopen()
    #expect(try fixture.storage.removeIncompleteCheckpoints() == [])  // it completed: kept
    let error = checkpointStorageError { _ = try fixture.storage.restorePoint() }
    guard case .noUsableCheckpoint(_, let reasons) = error else {
      Issue.record("expected noUsableCheckpoint, got \(String(describing: error))")
      return
    }
    #expect(reasons.first?.contains("completed, but its _metadata is gone") == true)
    // The whole directory deleted by hand: the timeline still knows.
    try FileManager.default.removeItem(at: fixture.url("chk-1"))
    #expect(checkpointStorageError { _ = try fixture.storage.restorePoint() } != nil)
    // --fresh starts a timeline from scratch; then nothing completed is missing.
    try fixture.storage.beginTimeline(from: nil)
    #expect(try fixture.storage.restorePoint() == nil)
  }

  @Test("a restore base in another root is resumed from until the new timeline completes one")
  func baseInAnotherRoot() throws {
    let other = try CheckpointStorageFixture()
    try other.commit(6, files: [try other.privateFile("a", checkpoint: 6)])
    let fixture = try CheckpointStorageFixture()
    try fixture.storage.beginTimeline(
      from: CheckpointTimeline.Base(id: 6, path: other.url("chk-6").path))
    try fixture.reopen()
    let point = try #require(try fixture.storage.restorePoint())
    #expect(point.metadata.id == 6 && point.path == other.url("chk-6").path)
    try fixture.commit(7, files: [])
    #expect(try fixture.storage.restorePoint()?.metadata.id == 7)
  }

  @Test("abort leaves a complete checkpoint and files it did not write")
  func abortNeverDeletesWhatCompleted() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [try fixture.privateFile("a", checkpoint: 1)])
    // An attempt at id 1 (as after an id collision) fails: 1 stays complete.
    #expect(throws: CheckpointStorageError.self) { _ = try fixture.privateFile("b", checkpoint: 1) }
    try fixture.storage.abort(id: 1)
    #expect(try fixture.storage.load(path: fixture.url("chk-1")).id == 1)
    // A file another process left in chk-2 survives this process's abort of 2.
    try FileManager.default.createDirectory(
      at: fixture.url("chk-2"), withIntermediateDirectories: true)
    try fixture.overwrite("chk-2/foreign", with: [1, 2, 3])
    _ = try fixture.privateFile("mine", checkpoint: 2)
    try fixture.storage.abort(id: 2)
    #expect(fixture.exists("chk-2/foreign") && !fixture.exists("chk-2/mine"))
    // An attempt that wrote everything itself leaves no directory.
    _ = try fixture.privateFile("mine", checkpoint: 3)
    try fixture.storage.abort(id: 3)
    #expect(!fixture.exists("chk-3"))
  }
}
