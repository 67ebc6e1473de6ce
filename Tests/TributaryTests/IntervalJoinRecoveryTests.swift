import Foundation
import Testing

@testable import Tributary

/// The interval join's buffers and clean-up timers are keyed state: injected
/// failures with restarts, and a restore at another parallelism, commit
/// exactly the output of an undisturbed run.
@Suite struct IntervalJoinRecoveryTests {
  typealias Event = IntervalJoinTests.Event
  typealias FailureInjector = CheckpointRecoveryTests.FailureInjector

  static let events = 20_000
  static let bounds = IntervalJoinTests.Bounds(lower: -6, upper: 4)

  static var lefts: [Event] {
    IntervalJoinTests.events(count: events, keys: 31, firstID: 0, seed: 11)
  }
  static var rights: [Event] {
    IntervalJoinTests.events(count: events, keys: 31, firstID: 1_000_000, seed: 12)
  }

  /// The join of the generated inputs into the transactional file sink in
  /// `output`, failing where `injector` says (on the left input).
  static func addJoin(
    to env: StreamEnvironment, injector: FailureInjector, output: URL, joinParallelism: Int? = nil
  ) {
    let lefts = Self.lefts
    let rights = Self.rights
    let strategy = WatermarkStrategy<Event>.boundedOutOfOrderness(
      .milliseconds(IntervalJoinTests.outOfOrderness)
    ) { $0.timeMs }.withInterval(.milliseconds(1))
    let left = env.generate(count: events, ratePerSecond: 100_000, name: "Left") { i in
      (i, lefts[i])
    }
    .map { pair in
      try injector.check(Int64(pair.0))
      return pair.1
    }
    .assignTimestampsAndWatermarks(strategy)
    let right = env.generate(count: events, ratePerSecond: 100_000, name: "Right") { rights[$0] }
      .assignTimestampsAndWatermarks(strategy)
    let joined = left.keyBy { $0.key }.intervalJoin(right.keyBy { $0.key })
      .between(.milliseconds(bounds.lower), .milliseconds(bounds.upper))
      .process { (l, r, _, out: inout Collector<String>) in out.emit("\(l.id),\(r.id)") }
    (joinParallelism.map { joined.parallelism($0) } ?? joined)
      .writeTransactional(directory: output.path) { $0 }
  }

  static func configuration(_ backend: StateBackendConfiguration.Kind, root: URL, logs: LogLines)
    -> JobConfiguration
  {
    var config = JobConfiguration()
    config.batchSize = 128
    config.stateBackend = StateBackendConfiguration(
      kind: backend, directory: root.appendingPathComponent("state").path, cacheBytes: 4_096)
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.logger = logs.logger
    return config
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func injectedFailuresWithRestartGiveExactlyTheUndisturbedJoin(
    backend: StateBackendConfiguration.Kind
  ) async throws {
    let root = try temporaryDirectory("tributary-interval-join-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    var rng = SplitMix64(seed: backend == .heap ? 21 : 22)
    // Far apart, so that each fails its own attempt (two subtasks read the left input).
    let failures = Set((0..<3).map { Int64(3_000 + $0 * 6_000 + Int(rng.next() % 1_000)) })
    let injector = FailureInjector(failures)
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    var config = Self.configuration(backend, root: root, logs: logs)
    config.parallelism = 2
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    Self.addJoin(to: env, injector: injector, output: output)
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0, "every injected failure happened")
    #expect(logs.lines.filter { $0.hasPrefix("restart") }.count == failures.count)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      IntervalJoinTests.nestedLoop(Self.lefts, Self.rights, Self.bounds))
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func restoreAtAnotherParallelismRedistributesTheBuffers(backend: StateBackendConfiguration.Kind)
    async throws
  {
    let root = try temporaryDirectory("tributary-interval-join-rescale")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    func run(joinParallelism: Int, failAt: Int64?) async throws {
      let env = StreamEnvironment(
        configuration: Self.configuration(backend, root: root, logs: logs))
      Self.addJoin(
        to: env, injector: FailureInjector(failAt.map { [$0] } ?? []), output: output,
        joinParallelism: joinParallelism)
      _ = try await withTimeout(120) { try await env.execute() }
    }
    // The first run fails part-way (no restart strategy); the second resumes
    // from its latest checkpoint with the join at parallelism 3.
    await #expect(throws: JobError.self) { try await run(joinParallelism: 1, failAt: 15_000) }
    try await run(joinParallelism: 3, failAt: nil)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      IntervalJoinTests.nestedLoop(Self.lefts, Self.rights, Self.bounds))
  }
}
