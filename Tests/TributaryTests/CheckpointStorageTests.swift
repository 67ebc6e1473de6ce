import Foundation
import Testing

@testable import Tributary

@Suite("CheckpointStorage: writing, committing, loading")
struct CheckpointStorageTests {
  @Test("CRC-32C matches the published check values, in any split")
  func crc32cVectors() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([]) == 0)
    // RFC 3720 (iSCSI) B.4 test vectors.
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    let bytes = CheckpointStorageFixture.content("split", size: 1000)
    for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
      var crc = CRC32C()
      crc.update(Array(bytes[..<split]))
      crc.update(Array(bytes[split...]))
      #expect(crc.value == CRC32C.checksum(bytes))
    }
  }

  @Test("the layout: shared/, savepoints/, chk-<id>/ with private and shared files")
  func layout() throws {
    let fixture = try CheckpointStorageFixture()
    #expect(fixture.exists("shared"))
    #expect(fixture.exists("savepoints"))
    let directory = try fixture.storage.privateDirectory(for: 4)
    #expect(directory.lastPathComponent == "chk-4")
    #expect(fixture.exists("chk-4"))

    let bytes = CheckpointStorageFixture.content("state", size: 1234)
    let file = try fixture.storage.writeFile(checkpoint: 4, name: "op-1/state.bin", bytes: bytes)
    #expect(
      file
        == CheckpointFileRef(
          path: "chk-4/op-1/state.bin", size: 1234, checksum: CRC32C.checksum(bytes), shared: false)
    )
    #expect(try fixture.contents("chk-4/op-1/state.bin") == bytes)

    let sst = try fixture.shared("window-0/000012.sst", checkpoint: 4)
    #expect(sst.path == "shared/window-0/000012.sst")
    #expect(sst.shared)
    #expect(fixture.exists("shared/window-0/000012.sst"))
    // No temporary file is left behind.
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: fixture.root.path)
      .filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }

  @Test("invalid names and ids are rejected with a typed error")
  func invalidNames() throws {
    let fixture = try CheckpointStorageFixture()
    for name in ["", "/etc/passwd", "../escape", "a/../../b", "_metadata", ".tmp-x", "a//b"] {
      let error = checkpointStorageError {
        _ = try fixture.storage.writeFile(checkpoint: 1, name: name, bytes: [1])
      }
      guard case .invalidFileName = error else {
        Issue.record("'\(name)' was accepted: \(String(describing: error))")
        continue
      }
    }
    let negative = checkpointStorageError { _ = try fixture.storage.privateDirectory(for: -1) }
    guard case .invalidArgument = negative else {
      Issue.record("negative id accepted")
      return
    }
  }

  @Test("commit then load round-trips metadata, payloads and key-group ranges")
  func roundTrip() throws {
    let fixture = try CheckpointStorageFixture()
    #expect(try fixture.storage.loadLatestValid() == nil)  // empty directory: start fresh
    let a = try fixture.privateFile("a", checkpoint: 1)
    let s = try fixture.shared("s.sst", checkpoint: 1)
    let metadata = CheckpointMetadata(
      id: 1, creationTimeMillis: 42, maxParallelism: 128,
      tasks: [
        TaskSnapshot(
          operatorID: "source", subtaskIndex: 0, parallelism: 2,
          payload: ["position": [0, 1, 2, 255], "empty": []]),
        TaskSnapshot(
          operatorID: "window", subtaskIndex: 1, parallelism: 2, keyGroupRange: 64...127,
          files: [a, s]),
      ])
    #expect(fixture.storage.completedCheckpoints() == [])
    try fixture.storage.commit(metadata)
    #expect(fixture.storage.completedCheckpoints() == [1])

    let header = String(decoding: try fixture.contents("chk-1/_metadata").prefix(40), as: UTF8.self)
    #expect(header.hasPrefix("TRIBUTARY-CHECKPOINT-METADATA v1 bytes="))

    try fixture.reopen()
    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata == metadata)
    #expect(loaded.skipped.isEmpty)
    #expect(try fixture.storage.load(path: fixture.url("chk-1")) == metadata)
    #expect(try fixture.storage.load(path: fixture.url("chk-1/_metadata")) == metadata)
  }

  @Test("commit refuses missing files, wrong sizes and a second commit")
  func commitValidation() throws {
    let fixture = try CheckpointStorageFixture()
    var file = try fixture.privateFile("a", checkpoint: 1)
    file.size += 1
    guard case .invalidMetadata = checkpointStorageError({ try fixture.commit(1, files: [file]) })
    else {
      Issue.record("wrong size accepted")
      return
    }
    let ghost = CheckpointFileRef(path: "chk-1/ghost", size: 1, checksum: 0, shared: false)
    guard case .invalidMetadata = checkpointStorageError({ try fixture.commit(1, files: [ghost]) })
    else {
      Issue.record("missing file accepted")
      return
    }
    let foreign = try fixture.privateFile("b", checkpoint: 2)
    guard
      case .invalidMetadata = checkpointStorageError({ try fixture.commit(1, files: [foreign]) })
    else {
      Issue.record("another checkpoint's private file accepted")
      return
    }
    #expect(!fixture.exists("chk-1/_metadata"))

    try fixture.commit(1, files: [try fixture.privateFile("a", checkpoint: 1)])
    #expect(
      checkpointStorageError({ try fixture.commit(1, files: []) })
        == .alreadyCommitted(kind: .checkpoint, id: 1))
    // A committed checkpoint is immutable.
    #expect(
      checkpointStorageError({ _ = try fixture.privateFile("late", checkpoint: 1) })
        == .alreadyCommitted(kind: .checkpoint, id: 1))
    #expect(try fixture.storage.privateDirectory(for: 1).lastPathComponent == "chk-1")
  }

  @Test("a leftover temporary metadata file is not a complete checkpoint")
  func leftoverTemporaryFile() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [try fixture.privateFile("a", checkpoint: 1)])
    // Checkpoint 2 crashed between writing the temporary metadata and the rename.
    let file = try fixture.privateFile("a", checkpoint: 2)
    try fixture.commit(2, files: [file])
    try FileManager.default.moveItem(
      at: fixture.url("chk-2/_metadata"), to: fixture.url("chk-2/.tmp-metadata-crashed"))
    try fixture.reopen()

    #expect(fixture.storage.completedCheckpoints() == [1])
    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata.id == 1)
    #expect(loaded.skipped.map(\.id) == [2])
    #expect(loaded.skipped[0].reason.contains("incomplete, no _metadata"))
  }

  @Test("a truncated, garbled or empty _metadata is skipped with its reason")
  func damagedMetadata() throws {
    let fixture = try CheckpointStorageFixture()
    for id in Int64(1)...4 {
      try fixture.commit(id, files: [try fixture.privateFile("a", checkpoint: id)])
    }
    let whole = try fixture.contents("chk-4/_metadata")
    try fixture.overwrite("chk-4/_metadata", with: Array(whole.prefix(whole.count / 2)))
    try fixture.flipBit(in: "chk-3/_metadata", at: -10)
    try fixture.overwrite("chk-2/_metadata", with: [])

    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata.id == 1)
    #expect(loaded.skipped.map(\.id) == [4, 3, 2])
    #expect(loaded.skipped[0].reason.contains("truncated"))
    #expect(loaded.skipped[1].reason.contains("checksum mismatch"))
    #expect(loaded.skipped[2].reason.contains("empty"))

    guard
      case .corruptMetadata(_, let reason) = checkpointStorageError({
        _ = try fixture.storage.load(path: fixture.url("chk-3"))
      })
    else {
      Issue.record("garbled metadata loaded")
      return
    }
    #expect(reason.contains("edited or corrupted"))
  }

  @Test("a referenced file with a wrong checksum: fall back to the previous checkpoint")
  func corruptedFile() throws {
    let fixture = try CheckpointStorageFixture()
    let shared = try fixture.shared("base.sst", checkpoint: 1, size: 4096)
    try fixture.commit(1, files: [shared, try fixture.privateFile("a", checkpoint: 1)])
    let changed = try fixture.privateFile("a", checkpoint: 2, size: 4096)
    try fixture.commit(2, files: [shared, changed])
    try fixture.flipBit(in: "chk-2/a", at: 2000)  // same size, different content

    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata.id == 1)
    #expect(loaded.skipped.count == 1)
    #expect(loaded.skipped[0].id == 2)
    #expect(loaded.skipped[0].reason.contains("chk-2/a is corrupted"))
    // Without checksum verification the damage goes unnoticed (sizes match).
    #expect(try fixture.storage.loadLatestValid(verifyChecksums: false)?.metadata.id == 2)
  }

  @Test("a missing or truncated referenced file: skipped")
  func missingFile() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [try fixture.privateFile("a", checkpoint: 1)])
    try fixture.commit(2, files: [try fixture.shared("x.sst", checkpoint: 2)])
    try fixture.commit(3, files: [try fixture.privateFile("a", checkpoint: 3)])
    try FileManager.default.removeItem(at: fixture.url("chk-3/a"))
    let bytes = try fixture.contents("shared/x.sst")
    try fixture.overwrite("shared/x.sst", with: Array(bytes.dropLast()))

    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata.id == 1)
    #expect(loaded.skipped.map(\.id) == [3, 2])
    #expect(loaded.skipped[0].reason.contains("missing file chk-3/a"))
    #expect(loaded.skipped[1].reason.contains("has 63 bytes, expected 64"))
    guard
      case .unusableCheckpoint = checkpointStorageError({
        _ = try fixture.storage.load(path: fixture.url("chk-3"))
      })
    else {
      Issue.record("checkpoint with a missing file loaded")
      return
    }
  }

  @Test("no usable checkpoint: a clear error listing every reason; no checkpoint: nil")
  func noneUsable() throws {
    let fixture = try CheckpointStorageFixture()
    _ = try fixture.privateFile("a", checkpoint: 1)  // never committed
    #expect(try fixture.storage.loadLatestValid() == nil)
    #expect(
      checkpointStorageError({ _ = try fixture.storage.load(path: fixture.url("chk-1")) })
        == .notCommitted(path: fixture.url("chk-1").standardizedFileURL.path))

    try fixture.commit(2, files: [try fixture.privateFile("a", checkpoint: 2)])
    try fixture.commit(3, files: [try fixture.privateFile("a", checkpoint: 3)])
    try fixture.flipBit(in: "chk-2/a", at: 0)
    try fixture.flipBit(in: "chk-3/_metadata", at: -1)
    let error = checkpointStorageError { _ = try fixture.storage.loadLatestValid() }
    guard case .noUsableCheckpoint(let directory, let reasons) = error else {
      Issue.record("expected noUsableCheckpoint, got \(String(describing: error))")
      return
    }
    #expect(directory == fixture.root.standardizedFileURL.path)
    #expect(reasons.count == 3)
    #expect(reasons[0].hasPrefix("chk-3: _metadata checksum mismatch"))
    #expect(reasons[1].hasPrefix("chk-2: file chk-2/a is corrupted"))
    #expect(reasons[2].hasPrefix("chk-1: incomplete"))
    #expect(error!.description.contains("Restore from a savepoint"))
  }

  @Test("metadata whose id does not match its directory is rejected")
  func renamedDirectory() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [])
    try FileManager.default.copyItem(at: fixture.url("chk-1"), to: fixture.url("chk-9"))
    let loaded = try #require(try fixture.storage.loadLatestValid())
    #expect(loaded.metadata.id == 1)
    #expect(loaded.skipped.first?.reason.contains("not checkpoint 9") == true)
  }

  @Test(
    "abort removes what the attempt wrote and the shared files only it used, never a complete checkpoint"
  )
  func abortRemovesFiles() throws {
    let fixture = try CheckpointStorageFixture()
    let base = try fixture.shared("base.sst", checkpoint: 1)
    try fixture.commit(1, files: [base])

    let reused = try fixture.shared("base.sst", checkpoint: 2)
    #expect(reused == base)
    _ = try fixture.shared("new.sst", checkpoint: 2)
    _ = try fixture.privateFile("a", checkpoint: 2)
    try fixture.storage.abort(id: 2)
    #expect(!fixture.exists("chk-2"))
    #expect(!fixture.exists("shared/new.sst"))
    #expect(fixture.exists("shared/base.sst"))  // still referenced by checkpoint 1

    // Aborting a committed checkpoint never deletes it: only retention does.
    try fixture.storage.abort(id: 1)
    #expect(fixture.exists("chk-1/_metadata"))
    #expect(fixture.exists("shared/base.sst"))
    #expect(try fixture.storage.loadLatestValid()?.metadata.id == 1)
    try fixture.storage.abort(id: 99)  // nothing there: no error
  }

  @Test("abort after a restart removes shared files nothing references (via retention)")
  func abortAfterRestart() throws {
    let fixture = try CheckpointStorageFixture()
    try fixture.commit(1, files: [try fixture.shared("base.sst", checkpoint: 1)])
    _ = try fixture.shared("orphan.sst", checkpoint: 2)  // then the process crashes
    try fixture.reopen()
    try fixture.storage.abort(id: 2)
    #expect(!fixture.exists("chk-2"))
    let report = try fixture.storage.retain(latest: 3)
    #expect(report.deletedSharedFiles == ["shared/orphan.sst"])
    #expect(fixture.exists("shared/base.sst"))
  }

  @Test("savepoints are written, committed and loaded by path")
  func savepoints() throws {
    let fixture = try CheckpointStorageFixture()
    let own = try fixture.storage.writeFile(
      checkpoint: 5, name: "state", bytes: [1, 2, 3], kind: .savepoint)
    #expect(own.path == "savepoints/sp-5/state")
    try fixture.commit(5, files: [own], kind: .savepoint)
    #expect(fixture.storage.completedCheckpoints() == [])
    #expect(try fixture.storage.loadLatestValid() == nil)  // savepoints are opened by path
    let loaded = try fixture.storage.load(path: fixture.url("savepoints/sp-5"))
    #expect(loaded.kind == .savepoint)
    #expect(loaded.tasks[0].files == [own])
  }
}

@Suite("CheckpointStorage: checksum throughput")
struct CheckpointStorageThroughputTests {
  @Test("CRC-32C checksums and copies at well over 100 MB/s")
  func throughput() throws {
    let bytes = CheckpointStorageFixture.content("throughput", size: 16 << 20)
    let clock = ContinuousClock()
    var value: UInt32 = 0
    let elapsed = clock.measure { value = CRC32C.checksum(bytes) }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(bytes.count) / seconds / 1e6
    print("CRC-32C: \(Int(rate)) MB/s (checksum \(CRC32C.hex(value)))")
    #expect(rate > 100)
  }
}
