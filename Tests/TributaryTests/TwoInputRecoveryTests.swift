import Foundation
import Testing

@testable import Tributary

/// The keyed co-process pipeline `order-payments` (two inputs, event-time
/// timers, a side output into a second transactional sink) killed with
/// `kill -9` several times and restarted: the committed output equals that
/// of an undisturbed run, computed here independently.
@Suite struct TwoInputRecoveryTests {
  /// `order_id,payment_delay_ms` of orders paid within `timeout` ms, and the
  /// ids of the others.
  static func expected(orders: Int, timeout: Int) -> (matched: [String], unmatched: [String]) {
    var matched: [String] = []
    var unmatched: [String] = []
    for i in 0..<orders {
      let delay = (i * 7) % 30
      if i % 3 != 0 && delay <= timeout {
        matched.append("\(i),\(delay)")
      } else {
        unmatched.append("\(i)")
      }
    }
    return (matched, unmatched)
  }

  @Test(arguments: ["heap", "rocksdb"])
  func killNineAndRestartGiveExactlyTheUndisturbedJoin(backend: String) async throws {
    guard let binary = builtExecutable("order-payments") else {
      Issue.record("order-payments is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-join-kill9")
    defer { try? FileManager.default.removeItem(at: root) }
    let orders = 150_000
    let checkpoints = root.appendingPathComponent("ckpt")
    let arguments = [
      "--orders", "\(orders)", "--rate", "60000", "--parallelism", "2",
      "--checkpoint-interval", "50ms", "--checkpoint-dir", checkpoints.path,
      "--output", root.appendingPathComponent("out").path, "--state-backend", backend,
      "--state-dir", root.appendingPathComponent("state").path,
    ]
    var rng = SplitMix64(seed: backend == "heap" ? 11 : 12)
    var resumed = 0
    for _ in 0..<4 {
      let output = try await runAndKillAfterCheckpoints(
        binary, arguments, checkpoints: checkpoints, extraMillis: 500, rng: &rng
      ).output
      if output.contains("resuming from checkpoint") { resumed += 1 }
    }
    let final = try runProcess(binary, arguments, mergingStandardError: true)
    #expect(final.status == 0, "\(final.output)")
    #expect(resumed >= 3, "restarts resumed from checkpoints")
    let expected = Self.expected(orders: orders, timeout: 25)
    let out = root.appendingPathComponent("out")
    let matched = try CheckpointRecoveryTests.committedLines(out.appendingPathComponent("matched"))
    let unmatched = try CheckpointRecoveryTests.committedLines(
      out.appendingPathComponent("unmatched"))
    #expect(matched.count == expected.matched.count, "no duplicates, nothing lost")
    expectSameElements(matched, expected.matched)
    expectSameElements(unmatched, expected.unmatched)
  }
}
