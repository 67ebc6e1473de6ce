import Foundation
import Testing

@testable import Tributary

/// The `stream-joins` pipeline (an interval join, a coGroup full outer join,
/// keyed broadcast rules and an unordered async lookup) killed with `kill -9`
/// several times and restarted: the committed output equals that of an
/// undisturbed run, computed here independently (nested loops over the same
/// generated events; the rules and the lookup from the formulas in the
/// pipeline's documentation).
@Suite struct JoinsKillNineTests {
  typealias Event = IntervalJoinTests.Event

  /// The pipeline's events, from the formulas documented in its source.
  static func left(_ i: Int) -> Event {
    Event(id: Int64(i), key: Int64(i % 97), timeMs: Int64(max(0, i / 2 - (i * 37) % 9)))
  }
  static func right(_ i: Int) -> Event {
    Event(
      id: 1_000_000 + Int64(i), key: Int64((i * 13) % 89),
      timeMs: Int64(max(0, i / 2 - (i * 53) % 9)))
  }

  @Test(arguments: ["heap", "rocksdb"])
  func killNineAndRestartGiveExactlyTheUndisturbedJoins(backend: String) async throws {
    guard let binary = builtExecutable("stream-joins") else {
      Issue.record("stream-joins is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-joins-kill9")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 60_000
    let checkpoints = root.appendingPathComponent("ckpt")
    let arguments = [
      "--events", "\(events)", "--rate", "20000", "--parallelism", "2",
      "--checkpoint-interval", "50ms", "--checkpoint-dir", checkpoints.path,
      "--output", root.appendingPathComponent("out").path, "--state-backend", backend,
      "--state-dir", root.appendingPathComponent("state").path,
    ]
    var rng = SplitMix64(seed: backend == "heap" ? 51 : 52)
    var resumed = 0
    for _ in 0..<3 {
      let output = try await runAndKillAfterCheckpoints(
        binary, arguments, checkpoints: checkpoints, extraMillis: 400, rng: &rng
      ).output
      if output.contains("resuming from checkpoint") { resumed += 1 }
    }
    let final = try runProcess(binary, arguments, mergingStandardError: true)
    #expect(final.status == 0, "\(final.output)")
    #expect(resumed >= 2, "restarts resumed from checkpoints")
    let lefts = (0..<events).map(Self.left)
    let rights = (0..<events).map(Self.right)
    let out = root.appendingPathComponent("out")
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(out.appendingPathComponent("interval")),
      IntervalJoinTests.nestedLoop(lefts, rights, IntervalJoinTests.Bounds(lower: -4, upper: 6)))
    let tumbling25 = WindowJoinTests.expected(.tumbling, lefts, rights, size: 25)
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(out.appendingPathComponent("outer")),
      tumbling25.outer)
    // Broadcast rules: rule r starts at 25·r ms with threshold (r·37) % 100.
    let ruleCount = max(1, events / 50)
    let alerts = lefts.filter { event in
      let rule = min(Int(event.timeMs) / 25, ruleCount - 1)
      return event.id % 100 > Int64((rule * 37) % 100)
    }
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(out.appendingPathComponent("alerts")),
      alerts.map { "\($0.id)" })
    // The async lookup: every right event exactly once, with its region.
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(out.appendingPathComponent("enriched")),
      rights.map { "\($0.id),\(($0.key * 31) % 1_000)" })
  }
}
