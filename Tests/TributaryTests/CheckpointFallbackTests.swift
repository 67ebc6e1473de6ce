import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Exactly-once when a job resumes from an older checkpoint than the newest
/// committed output: after an unusable newest checkpoint, after `--restore-from`
/// an older one, and after `--fresh`.
@Suite struct CheckpointFallbackTests {
  /// Log lines of several runs, appended from any thread.
  typealias Recovery = CheckpointRecoveryTests

  @Test("committed files after the resumed checkpoint move aside; the rest stays")
  func committedFilesMoveAside() throws {
    let root = try temporaryDirectory("tributary-committed")
    defer { try? FileManager.default.removeItem(at: root) }
    let names = [
      "part-0-3.csv", "part-0-8.csv", "part-1-9.csv", "part-0-10.csv", "part-0-end.csv",
      "part-x-9.csv", "other-0-9.csv", "part-0-9.txt",
    ]
    for name in names {
      try Data(name.utf8).write(to: root.appendingPathComponent(name))
    }
    let files = CommittedFiles(directory: root.path, prefix: "part", fileExtension: "csv")
    #expect(files.checkpoint(ofFile: "part-0-end.csv") == Int64.max)
    #expect(files.checkpoint(ofFile: "part-x-9.csv") == nil)
    let message = try #require(try files.moveAside(after: 8, keepingEnd: false))
    #expect(message.contains(".superseded-8"))
    let left = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
    #expect(
      left == [
        ".superseded-8", "other-0-9.csv", "part-0-3.csv", "part-0-8.csv", "part-0-9.txt",
        "part-x-9.csv",
      ])
    let moved = try FileManager.default.contentsOfDirectory(
      atPath: root.appendingPathComponent(".superseded-8").path
    ).sorted()
    #expect(moved == ["part-0-10.csv", "part-0-end.csv", "part-1-9.csv"])
    // Nothing more to move; a second fallback to 8 gets a folder of its own.
    #expect(try files.moveAside(after: 8, keepingEnd: false) == nil)
    try Data().write(to: root.appendingPathComponent("part-0-11.csv"))
    #expect(try files.moveAside(after: 8, keepingEnd: true)?.contains(".superseded-8-2") == true)
    // The final checkpoint keeps the end-of-input files.
    try Data().write(to: root.appendingPathComponent("part-0-end.csv"))
    #expect(try files.moveAside(after: 8, keepingEnd: true) == nil)
  }

  /// The windowed pipeline of ``CheckpointRecoveryTests`` into `root/out`,
  /// checkpointing every 10 ms into `root/checkpoints`.
  static func run(
    root: URL, events: Int, failAt: Int64?, restorePath: String? = nil, fresh: Bool = false,
    retained: Int = 3, log: LogLines
  ) async throws -> JobResult {
    var config = JobConfiguration()
    config.batchSize = 256
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10, retainedCheckpoints: retained),
      fresh: fresh, restorePath: restorePath)
    config.logger = log.logger
    let env = StreamEnvironment(configuration: config)
    Recovery.addWindowedCounts(
      to: env, events: events, rate: 100_000,
      injector: Recovery.FailureInjector(failAt.map { [$0] } ?? []),
      output: root.appendingPathComponent("out"))
    return try await withTimeout(120) { try await env.execute() }
  }

  @Test("resuming past a damaged newest checkpoint: many checkpoints, no id clash, exact output")
  func fallbackPastDamagedCheckpoint() async throws {
    let root = try temporaryDirectory("tributary-fallback")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 40_000
    let log = LogLines()
    await #expect(throws: JobError.self) {
      _ = try await Self.run(root: root, events: events, failAt: 25_000, retained: 50, log: log)
    }
    // Damage the metadata of the newest checkpoint that committed output, and
    // of every later one: the next run falls back to an older checkpoint and
    // must move that output aside.
    let output = root.appendingPathComponent("out")
    let files = CommittedFiles(directory: output.path, prefix: "part", fileExtension: "csv")
    let newest = try #require(
      try FileManager.default.contentsOfDirectory(atPath: output.path)
        .compactMap(files.checkpoint(ofFile:)).max())
    let storage = try CheckpointStorage(directory: root.appendingPathComponent("checkpoints"))
    for id in storage.completedCheckpoints() where id >= newest {
      let metadata = root.appendingPathComponent("checkpoints/chk-\(id)/_metadata")
      var bytes = [UInt8](try Data(contentsOf: metadata))
      bytes[bytes.count / 2] ^= 0xFF
      try Data(bytes).write(to: metadata)
    }

    let result = try await Self.run(root: root, events: events, failAt: nil, log: log)
    let messages = log.lines
    #expect(
      messages.contains {
        $0.hasPrefix("skipping checkpoint") && $0.contains("checkpoint=\(newest) ")
      })
    #expect(messages.contains { $0.hasPrefix("moved ") && $0.contains(".superseded-") })
    let report = try #require(result.checkpoints)
    // The run succeeded: a checkpoint id clashing with an existing one would
    // have been declined and failed the job (no failure is tolerated).
    #expect(report.completed >= 3, "several checkpoints after the fallback")
    expectSameElements(
      try Recovery.committedLines(root.appendingPathComponent("out")),
      Recovery.expectedWindowLines(events: events))
  }

  @Test(
    "restore-from an older checkpoint (then, optionally, a crash and a plain restart): exact output",
    arguments: [false, true])
  func restoreFromOlderCheckpoint(crashAfterRestore: Bool) async throws {
    let root = try temporaryDirectory("tributary-restore-older")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 40_000
    let log = LogLines()
    await #expect(throws: JobError.self) {
      _ = try await Self.run(root: root, events: events, failAt: 30_000, log: log)
    }
    let storage = try CheckpointStorage(directory: root.appendingPathComponent("checkpoints"))
    let completed = storage.completedCheckpoints()
    let oldest = try #require(completed.first)
    #expect(completed.count >= 2)
    let path = root.appendingPathComponent("checkpoints/chk-\(oldest)").path
    if crashAfterRestore {
      // Restore from the oldest retained checkpoint and fail again; resuming
      // with no options never goes back to the abandoned checkpoints.
      await #expect(throws: JobError.self) {
        _ = try await Self.run(
          root: root, events: events, failAt: 35_000, restorePath: path, log: log)
      }
      _ = try await Self.run(root: root, events: events, failAt: nil, log: log)
    } else {
      let result = try await Self.run(
        root: root, events: events, failAt: nil, restorePath: path, log: log)
      #expect((result.checkpoints?.completed ?? 0) >= 3, "several checkpoints after the restore")
    }
    #expect(
      log.lines.contains { $0.hasPrefix("newer checkpoints") && $0.contains("never resumed from") })
    expectSameElements(
      try Recovery.committedLines(root.appendingPathComponent("out")),
      Recovery.expectedWindowLines(events: events))
  }

  @Test("fresh start over committed output: the old output moves aside, the new is exact")
  func freshStartOverCommittedOutput() async throws {
    let root = try temporaryDirectory("tributary-fresh")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 20_000
    let log = LogLines()
    _ = try await Self.run(root: root, events: events, failAt: nil, log: log)
    _ = try await Self.run(root: root, events: events, failAt: nil, fresh: true, log: log)
    expectSameElements(
      try Recovery.committedLines(root.appendingPathComponent("out")),
      Recovery.expectedWindowLines(events: events))
    #expect(log.lines.contains { $0.contains("committed after checkpoint 0") })
  }
}
