import Foundation
import Testing

@testable import Tributary

/// A window join and a coGroup (full outer join) in one pipeline with
/// injected failures and restarts commit exactly the output of an
/// undisturbed run: their windows are keyed state like any window's.
@Suite struct WindowJoinRecoveryTests {
  typealias Event = IntervalJoinTests.Event
  typealias FailureInjector = CheckpointRecoveryTests.FailureInjector

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func injectedFailuresWithRestartGiveExactlyTheUndisturbedJoins(
    backend: StateBackendConfiguration.Kind
  ) async throws {
    let root = try temporaryDirectory("tributary-window-join-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    let count = 12_000
    let lefts = IntervalJoinTests.events(count: count, keys: 13, firstID: 0, seed: 31)
    let rights = IntervalJoinTests.events(count: count, keys: 17, firstID: 1_000_000, seed: 32)
    var rng = SplitMix64(seed: backend == .heap ? 41 : 42)
    // Far apart, so that each fails its own attempt (two subtasks read the left input).
    let failures = Set((0..<3).map { Int64(1_500 + $0 * 4_000 + Int(rng.next() % 800)) })
    let injector = FailureInjector(failures)
    let logs = LogLines()
    var config = IntervalJoinRecoveryTests.configuration(backend, root: root, logs: logs)
    config.parallelism = 2
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    let strategy = WatermarkStrategy<Event>.boundedOutOfOrderness(
      .milliseconds(IntervalJoinTests.outOfOrderness)
    ) { $0.timeMs }.withInterval(.milliseconds(1))
    let left = env.generate(count: count, ratePerSecond: 60_000, name: "Left") { i in
      (i, lefts[i])
    }
    .map { pair in
      try injector.check(Int64(pair.0))
      return pair.1
    }
    .assignTimestampsAndWatermarks(strategy)
    let right = env.generate(count: count, ratePerSecond: 60_000, name: "Right") { rights[$0] }
      .assignTimestampsAndWatermarks(strategy)
    let kind = WindowJoinTests.Kind.tumbling
    left.join(right).where { $0.key }.equalTo { $0.key }.window(kind.assigner)
      .apply { l, r in "\(l.id),\(r.id)" }
      .writeTransactional(directory: root.appendingPathComponent("inner").path) { $0 }
    left.coGroup(right).where { $0.key }.equalTo { $0.key }.window(kind.assigner)
      .apply { (key, window, ls, rs, out: inout Collector<String>) in
        for line in WindowJoinTests.fullOuter(
          prefix: "\(key),\(window.start),\(window.end)", ls, rs)
        {
          out.emit(line)
        }
      }
      .writeTransactional(directory: root.appendingPathComponent("outer").path) { $0 }
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0, "every injected failure happened")
    #expect(logs.lines.filter { $0.hasPrefix("restart") }.count == failures.count)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    let expected = WindowJoinTests.expected(kind, lefts, rights)
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(root.appendingPathComponent("inner")),
      expected.inner)
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(root.appendingPathComponent("outer")),
      expected.outer)
  }
}
