import Foundation
import Testing

@testable import Tributary

/// The keyed broadcast operator's broadcast state, keyed state and timers are
/// checkpointed: injected failures with restarts, and a restore at another
/// parallelism, commit exactly the output of an undisturbed run.
@Suite struct BroadcastStateRecoveryTests {
  typealias Reading = BroadcastStateTests.Reading
  typealias Rule = BroadcastStateTests.Rule
  typealias FailureInjector = CheckpointRecoveryTests.FailureInjector

  static let count = 20_000
  static var readings: [Reading] {
    var rng = SplitMix64(seed: 5)
    return (0..<count).map { i in
      Reading(sensor: i % 23, value: Int(rng.next() % 100), time: Int64(i))
    }
  }
  static let rules = [
    Rule(threshold: 80, from: 0), Rule(threshold: 40, from: 6_000),
    Rule(threshold: 90, from: 13_000),
  ]

  /// Readings keyed by sensor against the broadcast rules, into the
  /// transactional file sink in `output`, failing where `injector` says.
  static func addPipeline(
    to env: StreamEnvironment, injector: FailureInjector, output: URL, parallelism: Int? = nil
  ) {
    let readings = Self.readings
    // The rules, then the last one again for a few seconds: a source that
    // finished would end periodic checkpoints (see docs/checkpoints.md).
    let ruleList = Self.rules
    let rules = env.generate(count: 300, ratePerSecond: 100, name: "Rules") { i in
      ruleList[min(i, ruleList.count - 1)]
    }
    .assignTimestampsAndWatermarks(.monotonic { $0.from })
    .broadcast(BroadcastStateTests.rules)
    let alerts = env.generate(count: count, ratePerSecond: 100_000, name: "Readings") { i in
      (i, readings[i])
    }
    .map { pair in
      try injector.check(Int64(pair.0))
      return pair.1
    }
    .assignTimestampsAndWatermarks(
      WatermarkStrategy<Reading>.boundedOutOfOrderness(.milliseconds(5)) { $0.time }
        .withInterval(.milliseconds(1))
    )
    .keyBy { $0.sensor }
    .connect(rules)
    .process(BroadcastStateTests.ThresholdAlerts())
    (parallelism.map { alerts.parallelism($0) } ?? alerts).writeTransactional(
      directory: output.path
    ) { $0 }
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func injectedFailuresWithRestartGiveExactlyTheUndisturbedOutput(
    backend: StateBackendConfiguration.Kind
  ) async throws {
    let root = try temporaryDirectory("tributary-broadcast-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    var rng = SplitMix64(seed: backend == .heap ? 31 : 32)
    let failures = Set((0..<3).map { _ in Int64(2_000 + Int(rng.next() % 16_000)) })
    let injector = FailureInjector(failures)
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    var config = IntervalJoinRecoveryTests.configuration(backend, root: root, logs: logs)
    config.parallelism = 2
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    Self.addPipeline(to: env, injector: injector, output: output)
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0, "every injected failure happened")
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      BroadcastStateTests.expected(Self.readings, Self.rules))
  }

  @Test func restoreAtAnotherParallelismGivesEverySubtaskTheRules() async throws {
    let root = try temporaryDirectory("tributary-broadcast-rescale")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    func run(parallelism: Int, failAt: Int64?) async throws {
      let env = StreamEnvironment(
        configuration: IntervalJoinRecoveryTests.configuration(.heap, root: root, logs: logs))
      Self.addPipeline(
        to: env, injector: FailureInjector(failAt.map { [$0] } ?? []), output: output,
        parallelism: parallelism)
      _ = try await withTimeout(120) { try await env.execute() }
    }
    // The first run fails late (every rule has arrived); the second resumes
    // at parallelism 3, where subtasks 1 and 2 have only restored rules.
    await #expect(throws: JobError.self) { try await run(parallelism: 1, failAt: 17_000) }
    try await run(parallelism: 3, failAt: nil)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      BroadcastStateTests.expected(Self.readings, Self.rules))
  }
}
