import Foundation
import Testing

@testable import Tributary

/// Records in flight in `asyncMap` are part of checkpoints: injected failures
/// with restarts, and a restore at another parallelism, commit exactly the
/// output of an undisturbed run (no record lost, none emitted twice).
@Suite struct AsyncMapRecoveryTests {
  typealias FailureInjector = CheckpointRecoveryTests.FailureInjector

  static let events = 6_000

  static func configuration(root: URL, logs: LogLines) -> JobConfiguration {
    var config = JobConfiguration()
    config.batchSize = 32
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.logger = logs.logger
    return config
  }

  /// Generator → failure injection → asyncMap (random latencies, so records
  /// are in flight at every barrier) → transactional file sink.
  static func addPipeline(
    to env: StreamEnvironment, injector: FailureInjector, output: URL, ordered: Bool,
    asyncParallelism: Int? = nil
  ) {
    let checked = env.generate(count: events, ratePerSecond: 100_000) { $0 }
      .map { i in
        try injector.check(Int64(i))
        return i
      }
    let input = asyncParallelism == nil ? checked : checked.rebalance()
    let enriched = input.asyncMap(capacity: 24, timeout: .seconds(30), ordered: ordered) { i in
      try await Task.sleep(for: AsyncMapTests.latency(i, maxMicros: 5_000))
      return AsyncMapTests.enrich(i)
    }
    (asyncParallelism.map { enriched.parallelism($0) } ?? enriched)
      .writeTransactional(directory: output.path) { $0 }
  }

  @Test(arguments: [true, false])
  func injectedFailuresWithRestartCommitExactlyTheUndisturbedOutput(ordered: Bool) async throws {
    let root = try temporaryDirectory("tributary-async-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    var rng = SplitMix64(seed: ordered ? 31 : 32)
    let failures = Set((0..<3).map { _ in Int64(500 + Int(rng.next() % 5_000)) })
    let injector = FailureInjector(failures)
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    var config = Self.configuration(root: root, logs: logs)
    config.parallelism = 2
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    Self.addPipeline(to: env, injector: injector, output: output, ordered: ordered)
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0, "every injected failure happened")
    #expect(logs.lines.filter { $0.hasPrefix("restart") }.count == failures.count)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      (0..<Self.events).map(AsyncMapTests.enrich))
  }

  @Test func restoreAtAnotherParallelismReissuesEveryRecordInFlight() async throws {
    let root = try temporaryDirectory("tributary-async-rescale")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = root.appendingPathComponent("out")
    let logs = LogLines()
    func run(asyncParallelism: Int, failAt: Int64?) async throws {
      let env = StreamEnvironment(configuration: Self.configuration(root: root, logs: logs))
      Self.addPipeline(
        to: env, injector: FailureInjector(failAt.map { [$0] } ?? []), output: output,
        ordered: true, asyncParallelism: asyncParallelism)
      _ = try await withTimeout(120) { try await env.execute() }
    }
    await #expect(throws: JobError.self) { try await run(asyncParallelism: 2, failAt: 4_500) }
    try await run(asyncParallelism: 3, failAt: nil)
    #expect(logs.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      (0..<Self.events).map(AsyncMapTests.enrich))
  }
}
