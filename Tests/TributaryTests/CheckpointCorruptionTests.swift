import Foundation
import Testing

@testable import Tributary

/// A real `kill -9` of `windowed-counts`, then damage to the newest checkpoint
/// (one of several kinds, chosen at random), then a restart, several rounds in
/// a row: the committed output at the end equals an undisturbed run's line by
/// line. When no checkpoint is usable the job must refuse to start and name
/// `--fresh` (then the test starts it with `--fresh`); it never silently starts
/// from scratch.
@Suite struct CheckpointCorruptionTests {
  /// What the test does to the newest complete checkpoint.
  enum Damage: String, CaseIterable {
    case flipStateFileBytes, truncateFile, deleteFile, deleteMetadata, truncateMetadata
    case damageSharedFile
  }

  /// The expected output of `windowed-counts --events N`, computed here:
  /// `window_end,key,count,sum` for events `i → (i % 10000, i / 1000 ms, i % 100)`.
  static func expectedLines(events: Int) -> [String] {
    var windows: [Int64: [Int64: (count: Int64, sum: Int64)]] = [:]
    for i in 0..<events {
      let end = (Int64(i / 1_000) / 1_000 + 1) * 1_000
      let key = Int64(i % 10_000)
      let previous = windows[end]?[key] ?? (0, 0)
      windows[end, default: [:]][key] = (previous.count + 1, previous.sum + Int64(i % 100))
    }
    return windows.flatMap { end, keys in
      keys.map { key, value in "\(end),\(key),\(value.count),\(value.sum)" }
    }
  }

  /// Applies a damage of a kind that fits the newest complete checkpoint in
  /// `root` (chosen with `rng`); returns the kind, or `nil` when there is no
  /// complete checkpoint.
  static func damageNewest(
    in root: URL, incremental: Bool, rng: inout SplitMix64
  ) throws -> Damage? {
    let storage = try CheckpointStorage(directory: root)
    // The newest checkpoint whose metadata is intact (an earlier round's
    // damage may still be the newest when no checkpoint followed it).
    guard
      let (directory, metadata) = storage.completedCheckpoints().reversed().lazy.compactMap({
        id -> (URL, CheckpointMetadata)? in
        let directory = root.appendingPathComponent("chk-\(id)")
        return (try? storage.load(path: directory, verifyChecksums: false)).map { (directory, $0) }
      }).first
    else { return nil }
    let files = metadata.allFiles
    let privateFiles = files.filter { !$0.shared && $0.size > 0 }
    let sharedFiles = files.filter { $0.shared && $0.size > 0 }
    var kinds: [Damage] = [.deleteMetadata, .truncateMetadata]
    if !privateFiles.isEmpty { kinds.append(.flipStateFileBytes) }
    if !files.isEmpty { kinds += [.truncateFile, .deleteFile] }
    if incremental && !sharedFiles.isEmpty { kinds.append(.damageSharedFile) }
    let kind = kinds[Int(rng.next() % UInt64(kinds.count))]
    func pick(_ candidates: [CheckpointFileRef]) -> URL {
      root.appendingPathComponent(candidates[Int(rng.next() % UInt64(candidates.count))].path)
    }
    func flipMiddle(_ url: URL) throws {
      var bytes = [UInt8](try Data(contentsOf: url))
      let start = bytes.count / 2
      for index in start..<min(bytes.count, start + 8) { bytes[index] ^= 0x5A }
      try Data(bytes).write(to: url)
    }
    func truncate(_ url: URL) throws {
      let handle = try FileHandle(forWritingTo: url)
      let size = try handle.seekToEnd()
      try handle.truncate(atOffset: size / 2)
      try handle.close()
    }
    let metadataFile = directory.appendingPathComponent("_metadata")
    switch kind {
    case .flipStateFileBytes: try flipMiddle(pick(privateFiles))
    case .truncateFile: try truncate(pick(files.filter { $0.size > 0 }))
    case .deleteFile: try FileManager.default.removeItem(at: pick(files))
    case .deleteMetadata: try FileManager.default.removeItem(at: metadataFile)
    case .truncateMetadata: try truncate(metadataFile)
    case .damageSharedFile: try flipMiddle(pick(sharedFiles))
    }
    return kind
  }

  @Test(arguments: ["heap", "rocksdb-portable", "rocksdb-incremental"], [1, 2])
  func damagedNewestCheckpointsAfterKillNineStillGiveTheUndisturbedOutput(
    backend: String, parallelism: Int
  ) async throws {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-corruption")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 1_500_000
    let checkpoints = root.appendingPathComponent("ckpt")
    let arguments =
      [
        "--events", "\(events)", "--rate", "700000", "--checkpoint-interval", "60ms",
        "--parallelism", "\(parallelism)", "--output", root.appendingPathComponent("out").path,
        "--checkpoint-dir", checkpoints.path,
        "--state-backend", backend == "heap" ? "heap" : "rocksdb",
        "--state-dir", root.appendingPathComponent("state").path,
        "--rocksdb-snapshots", backend == "rocksdb-incremental" ? "incremental" : "portable",
      ] + (backend == "rocksdb-incremental" ? ["--state-cache-mb", "1"] : [])
    var rng = SplitMix64(seed: UInt64(parallelism * 31 + backend.count))
    let rounds = 5
    var damages: [Damage] = []
    var refusals = 0
    var fallbacks = 0
    var fresh = false
    for _ in 0..<rounds {
      // Killed after the run completed two checkpoints of its own, so that
      // damage to the newest leaves an older one to fall back to.
      let run = try await runAndKillAfterCheckpoints(
        binary, arguments + (fresh ? ["--fresh"] : []), checkpoints: checkpoints, count: 2,
        extraMillis: 600, rng: &rng)
      let output = run.output
      if output.contains("skipping checkpoint") { fallbacks += 1 }
      if run.failedByItself {
        // It refused to start: no usable checkpoint. It must say so and name --fresh.
        #expect(output.contains("no usable checkpoint") && output.contains("--fresh"), "\(output)")
        refusals += 1
        fresh = true
        continue
      }
      fresh = false
      if let damage = try Self.damageNewest(
        in: checkpoints, incremental: backend == "rocksdb-incremental", rng: &rng)
      {
        damages.append(damage)
      }
    }
    var final = try runProcess(
      binary, arguments + (fresh ? ["--fresh"] : []), mergingStandardError: true)
    if final.status != 0 {
      #expect(final.output.contains("no usable checkpoint") && final.output.contains("--fresh"))
      refusals += 1
      final = try runProcess(binary, arguments + ["--fresh"], mergingStandardError: true)
    }
    if final.output.contains("skipping checkpoint") { fallbacks += 1 }
    #expect(final.status == 0, "\(final.output)")
    #expect(!damages.isEmpty, "at least one checkpoint was damaged")
    let expected = Self.expectedLines(events: events)
    let committed = try CheckpointRecoveryTests.committedLines(root.appendingPathComponent("out"))
    print(
      "corruption \(backend) p\(parallelism): \(rounds) rounds, damages \(damages.map(\.rawValue)), "
        + "fallbacks \(fallbacks), refusals \(refusals), rows checked \(committed.count) "
        + "(expected \(expected.count))")
    #expect(expected.count == 20_000)
    #expect(committed.count == expected.count, "no duplicates, nothing lost")
    expectSameElements(committed, expected)
  }
}
