import Foundation
import Synchronization
import Testing

@testable import Tributary

@Suite("CheckpointStorage: retention, sharing, incremental accounting")
struct CheckpointStorageRetentionTests {
  /// Five checkpoints over shared files A…G in overlapping windows, plus private
  /// files, a savepoint that references A, and an orphan shared file H.
  ///
  ///     chk-1: A B G    chk-2: A B C G    chk-3: B C D    chk-4: C D E    chk-5: D E F
  ///     sp-1 (savepoint): A
  private func fiveCheckpoints() throws -> CheckpointStorageFixture {
    let fixture = try CheckpointStorageFixture()
    let plan: [Int64: [String]] = [
      1: ["A", "B", "G"], 2: ["A", "B", "C", "G"], 3: ["B", "C", "D"], 4: ["C", "D", "E"],
      5: ["D", "E", "F"],
    ]
    for id in Int64(1)...5 {
      var files = try plan[id]!.map { try fixture.shared("\($0).sst", checkpoint: id) }
      files.append(try fixture.privateFile("meta", checkpoint: id))
      try fixture.commit(id, files: files)
    }
    let savepointFile = try fixture.storage.writeFile(
      checkpoint: 1, name: "A.sst", bytes: CheckpointStorageFixture.content("A.sst", size: 64),
      shared: true, kind: .savepoint)
    try fixture.commit(1, files: [savepointFile], kind: .savepoint)
    try fixture.overwrite("shared/H.sst", with: [1, 2, 3])  // left by a crashed writer
    return fixture
  }

  private func sharedFiles(_ fixture: CheckpointStorageFixture) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: fixture.url("shared").path).sorted()
  }

  @Test("retention keeps the newest N and every shared file a kept checkpoint references")
  func retentionKeepsNewestAndReferencedSharedFiles() throws {
    let fixture = try fiveCheckpoints()
    try fixture.reopen()  // reference counts come from the metadata on disk

    let report = try fixture.storage.retain(latest: 3)
    #expect(report.deletedCheckpoints == [1, 2])
    #expect(report.deletedSharedFiles == ["shared/G.sst", "shared/H.sst"])
    #expect(fixture.storage.completedCheckpoints() == [3, 4, 5])
    // A survives through the savepoint; B…F through checkpoints 3…5.
    #expect(try sharedFiles(fixture) == ["A.sst", "B.sst", "C.sst", "D.sst", "E.sst", "F.sst"])
    for id in [3, 4, 5] {
      #expect(try fixture.storage.load(path: fixture.url("chk-\(id)")).id == Int64(id))
    }

    let second = try fixture.storage.retain(latest: 1)
    #expect(second.deletedCheckpoints == [3, 4])
    #expect(second.deletedSharedFiles == ["shared/B.sst", "shared/C.sst"])
    #expect(try sharedFiles(fixture) == ["A.sst", "D.sst", "E.sst", "F.sst"])
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 5)
    #expect(try fixture.storage.load(path: fixture.url("savepoints/sp-1")).kind == .savepoint)

    // Idempotent.
    #expect(
      try fixture.storage.retain(latest: 1) == .init(deletedCheckpoints: [], deletedSharedFiles: [])
    )
  }

  @Test("savepoints and their shared files survive any retention")
  func savepointsSurviveRetention() throws {
    let fixture = try fiveCheckpoints()
    for id in Int64(6)...9 {
      try fixture.commit(id, files: [try fixture.privateFile("meta", checkpoint: id)])
      try fixture.storage.retain(latest: 1)
    }
    #expect(fixture.storage.completedCheckpoints() == [9])
    #expect(try sharedFiles(fixture) == ["A.sst"])
    let savepoint = try fixture.storage.load(path: fixture.url("savepoints/sp-1"))
    #expect(savepoint.tasks[0].files.map(\.path) == ["shared/A.sst"])
  }

  @Test("a shared file reused by a checkpoint in progress is not deleted")
  func inProgressReuseIsProtected() throws {
    let fixture = try fiveCheckpoints()
    // Checkpoint 6 is being written and reuses G, which only chk-1 and chk-2 reference.
    let g = try fixture.shared("G.sst", checkpoint: 6)
    let report = try fixture.storage.retain(latest: 3)
    #expect(report.deletedCheckpoints == [1, 2])
    #expect(!report.deletedSharedFiles.contains("shared/G.sst"))
    #expect(fixture.exists("chk-6"))  // incomplete but in progress: kept
    try fixture.commit(6, files: [g])
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 6)
  }

  @Test("incomplete checkpoints older than the newest complete one are deleted, newer kept")
  func incompleteCheckpoints() throws {
    let fixture = try CheckpointStorageFixture()
    _ = try fixture.privateFile("a", checkpoint: 1)
    try fixture.commit(2, files: [try fixture.privateFile("a", checkpoint: 2)])
    _ = try fixture.privateFile("a", checkpoint: 3)
    try fixture.reopen()  // 1 and 3 are leftovers of a crash now
    let report = try fixture.storage.retain(latest: 3)
    #expect(report.deletedCheckpoints == [1])
    #expect(fixture.exists("chk-3"))
    #expect(
      checkpointStorageError({ try fixture.storage.retain(latest: 0) })
        == .invalidArgument("retained checkpoint count is 0; keep at least 1"))
  }

  @Test("retention keeps older complete checkpoints when newer ones have damaged metadata")
  func damagedNewerMetadata() throws {
    let fixture = try CheckpointStorageFixture()
    for id in Int64(1)...4 {
      try fixture.commit(id, files: [try fixture.privateFile("a", checkpoint: id)])
    }
    try fixture.flipBit(in: "chk-4/_metadata", at: -1)
    let report = try fixture.storage.retain(latest: 1)
    #expect(report.deletedCheckpoints == [1, 2])
    #expect(fixture.exists("chk-4"))  // newer than the retained one: left for inspection
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 3)
  }

  @Test("full and incremental bytes")
  func incrementalBytes() throws {
    let fixture = try CheckpointStorageFixture()
    let a = try fixture.shared("A.sst", checkpoint: 1, size: 100)
    let b = try fixture.shared("B.sst", checkpoint: 1, size: 200)
    let first = try fixture.commit(
      1, files: [a, b, try fixture.privateFile("p", checkpoint: 1, size: 10)])
    #expect(fixture.storage.bytes(of: first) == (full: 310, incremental: 310))

    let c = try fixture.shared("C.sst", checkpoint: 2, size: 50)
    let a2 = try fixture.shared("A.sst", checkpoint: 2, size: 100)
    let second = try fixture.commit(
      2, files: [a2, b, c, try fixture.privateFile("p", checkpoint: 2, size: 10)])
    #expect(fixture.storage.bytes(of: second) == (full: 360, incremental: 60))

    // Files referenced by two tasks count once.
    var twice = second
    twice.id = 3
    twice.tasks.append(second.tasks[0])
    twice.tasks[1].subtaskIndex = 0
    #expect(fixture.storage.bytes(of: twice) == (full: 360, incremental: 0))
  }

  @Test("copyFile reuses an identical shared file instead of copying it")
  func copyFileReusesSharedFiles() throws {
    let fixture = try CheckpointStorageFixture()
    let source = fixture.root.appendingPathComponent("rocksdb-000012.sst")
    let content = CheckpointStorageFixture.content("sst", size: 3 * 1024 * 1024 + 5)
    try Data(content).write(to: source)

    let first = try fixture.storage.copyFile(
      from: source, checkpoint: 1, name: "op-0/000012.sst", shared: true)
    #expect(first.size == Int64(content.count))
    #expect(first.checksum == CRC32C.checksum(content))
    try fixture.commit(1, files: [first])
    let inode = try fixture.inode("shared/op-0/000012.sst")

    try fixture.reopen()  // also without in-memory knowledge
    let second = try fixture.storage.copyFile(
      from: source, checkpoint: 2, name: "op-0/000012.sst", shared: true)
    #expect(second == first)
    #expect(try fixture.inode("shared/op-0/000012.sst") == inode)
    try fixture.commit(2, files: [second])

    // A private copy is a real copy in the checkpoint's directory.
    let own = try fixture.storage.copyFile(from: source, checkpoint: 3, name: "copy.sst")
    #expect(own.path == "chk-3/copy.sst")
    #expect(try fixture.contents("chk-3/copy.sst") == content)

    // Same name, different content, still referenced: a conflict, nothing replaced.
    try Data(CheckpointStorageFixture.content("other", size: 100)).write(to: source)
    let conflict = checkpointStorageError {
      _ = try fixture.storage.copyFile(
        from: source, checkpoint: 3, name: "op-0/000012.sst", shared: true)
    }
    guard case .sharedFileConflict(let path, _, _, let newSize, _) = conflict else {
      Issue.record("expected a conflict, got \(String(describing: conflict))")
      return
    }
    #expect(path == "shared/op-0/000012.sst")
    #expect(newSize == 100)
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 2)
  }

  @Test("an orphaned shared file with other content is replaced")
  func orphanIsReplaced() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.overwrite("shared/x.sst", with: [9, 9, 9])
    let file = try fixture.shared("x.sst", checkpoint: 1)
    #expect(file.size == 64)
    try fixture.commit(1, files: [file])
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 1)
  }

  @Test("registerExistingFile takes a hard-linked file as is")
  func registerExisting() throws {
    let fixture = try CheckpointStorageFixture()
    let source = fixture.root.appendingPathComponent("native-000007.sst")
    let content = CheckpointStorageFixture.content("native", size: 5000)
    try Data(content).write(to: source)
    try FileManager.default.linkItem(at: source, to: fixture.url("shared/000007.sst"))
    let file = try fixture.storage.registerExistingFile(
      checkpoint: 1, name: "000007.sst", shared: true)
    #expect(
      file
        == CheckpointFileRef(
          path: "shared/000007.sst", size: 5000, checksum: CRC32C.checksum(content), shared: true))
    try fixture.commit(1, files: [file])
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 1)

    guard
      case .io(_, _, ENOENT) = checkpointStorageError({
        _ = try fixture.storage.registerExistingFile(checkpoint: 2, name: "nothing")
      })
    else {
      Issue.record("registering a missing file succeeded")
      return
    }
  }

  @Test("concurrent writers of the same shared file end up with one file")
  func concurrentSharedWrites() throws {
    let fixture = try CheckpointStorageFixture()
    let storage = fixture.storage
    let bytes = CheckpointStorageFixture.content("same", size: 100_000)
    let results = Mutex<[CheckpointFileRef]>([])
    DispatchQueue.concurrentPerform(iterations: 16) { index in
      let id = Int64(index % 4)
      if let ref = try? storage.writeFile(
        checkpoint: id, name: "same.sst", bytes: bytes, shared: true)
      {
        results.withLock { $0.append(ref) }
      }
    }
    let refs = results.withLock { $0 }
    #expect(refs.count == 16)
    #expect(Set(refs).count == 1)
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: fixture.root.path)
      .filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }
}
