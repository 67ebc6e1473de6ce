import Foundation
import Testing

@testable import Tributary

/// A job with a recovery-time objective chooses its own checkpoint interval:
/// a generous objective lengthens it from the minimum, an unreachable one
/// keeps it at the minimum and says so in the log and the monitor; a
/// restart keeps the chosen interval and times the recovery.
@Suite struct RecoveryObjectiveTests {
  /// A rate-limited keyed count into a collecting sink.
  static func job(
    objective: RecoveryObjective, root: URL, logs: LogLines, monitor: JobMonitor,
    injector: CheckpointRecoveryTests.FailureInjector? = nil, count: Int = 60_000,
    stateBackend: StateBackendConfiguration = .heap
  ) -> StreamEnvironment {
    var config = JobConfiguration()
    config.parallelism = 2
    config.stateBackend = stateBackend
    config.batchSize = 64
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: nil), recoveryObjective: objective)
    config.restartStrategy = .fixedDelay(attempts: 3, delay: .milliseconds(10))
    config.logger = logs.logger
    config.monitor = monitor
    let env = StreamEnvironment(configuration: config)
    env.generate(count: count, ratePerSecond: 20_000) { $0 }
      .map { i in
        try injector?.check(Int64(i))
        return i
      }
      .keyBy { $0 % 1_000 }
      .process(name: "Count") { (i: Int, context: KeyedContext<Int>, out: inout Collector<Int>) in
        let seen = try context.state(ValueStateDescriptor<Int>("seen"))
        try seen.update((try seen.value() ?? 0) + 1)
        out.emit(i)
      }
      .sink(name: "Drop") { _ in }
    return env
  }

  @Test func aGenerousObjectiveLengthensTheIntervalFromItsStart() async throws {
    let root = try temporaryDirectory("tributary-rto")
    defer { try? FileManager.default.removeItem(at: root) }
    let logs = LogLines()
    let monitor = JobMonitor()
    // It starts at 400 ms, a quarter of 80 % of the objective.
    let objective = RecoveryObjective(
      .seconds(2), minimumInterval: .milliseconds(50), maximumInterval: .milliseconds(800))
    let env = Self.job(objective: objective, root: root, logs: logs, monitor: monitor)
    let result = try await withTimeout(60) { try await env.execute() }
    let report = try #require(result.checkpoints)
    // The job reads 20 000 records/s that it could process far faster: a
    // 2 s objective allows the maximum; growth is 2× per two checkpoints.
    #expect(report.intervalMillisFinal.map { $0 > 400 } == true, "\(logs.lines)")
    #expect(report.predictedRecoveryMillis.map { $0 > 0 && $0 < 2_000 } == true)
    let status = try #require(monitor.checkpoints.interval)
    #expect(status.adaptive && status.objectiveMet)
    #expect(status.recoveryObjectiveMs == 2_000)
    #expect(status.intervalMs == report.intervalMillisFinal)
    #expect(logs.lines.contains { $0.hasPrefix("checkpoint interval changed") })
  }

  @Test func anUnreachableObjectiveRunsAtTheMinimumAndSaysSo() async throws {
    let root = try temporaryDirectory("tributary-rto")
    defer { try? FileManager.default.removeItem(at: root) }
    let logs = LogLines()
    let monitor = JobMonitor()
    // A 10 ms objective: the 10 ms restart delay alone uses it up.
    let objective = RecoveryObjective(
      .milliseconds(10), minimumInterval: .milliseconds(50), maximumInterval: .seconds(5))
    let env = Self.job(objective: objective, root: root, logs: logs, monitor: monitor)
    let result = try await withTimeout(60) { try await env.execute() }
    #expect(result.checkpoints?.intervalMillisFinal == 50)
    let status = try #require(monitor.checkpoints.interval)
    #expect(!status.objectiveMet)
    #expect(status.intervalMs == 50)
    #expect(
      logs.lines.contains {
        $0.hasPrefix("the recovery objective cannot be met even at the minimum")
      })
  }

  @Test func aRestartKeepsTheChosenIntervalAndTimesTheRecovery() async throws {
    let root = try temporaryDirectory("tributary-rto")
    defer { try? FileManager.default.removeItem(at: root) }
    let logs = LogLines()
    let monitor = JobMonitor()
    // It starts at 200 ms, a quarter of 80 % of the objective.
    let objective = RecoveryObjective(
      .seconds(1), minimumInterval: .milliseconds(50), maximumInterval: .milliseconds(400))
    let injector = CheckpointRecoveryTests.FailureInjector([40_000])
    let env = Self.job(
      objective: objective, root: root, logs: logs, monitor: monitor, injector: injector,
      count: 60_000)
    let result = try await withTimeout(60) { try await env.execute() }
    #expect(injector.left == 0)
    #expect(result.restoreDuration != nil, "the last run restored a checkpoint")
    let intervals = logs.lines.filter { $0.hasPrefix("checkpoint interval changed") }
    #expect(!intervals.isEmpty)
    // The restarted run's coordinator starts at the interval chosen before
    // the failure, not at the start.
    let lines = logs.lines
    let restart = try #require(lines.firstIndex { $0.hasPrefix("restart after failure") })
    let inForce = try #require(
      lines[restart...].first { $0.hasPrefix("checkpoint interval in force") })
    let millis = inForce.split(separator: " ").first { $0.hasPrefix("interval_ms=") }
      .flatMap { Int64($0.dropFirst("interval_ms=".count)) }
    #expect(millis.map { $0 > 200 } == true, "\(inForce)")
    #expect(result.checkpoints?.intervalMillisFinal.map { $0 > 200 } == true)
    // The recovery was timed: failure until the sources were back where they were.
    #expect(logs.lines.contains { $0.hasPrefix("recovered: back where the job was") })
  }

  @Test func theReadBackRestoresTheCheckpointIntoScratchBackendsAndRemovesThem() async throws {
    let root = try temporaryDirectory("tributary-rto")
    defer { try? FileManager.default.removeItem(at: root) }
    let state = root.appendingPathComponent("state")
    let logs = LogLines()
    let objective = RecoveryObjective(
      .seconds(2), minimumInterval: .milliseconds(50), maximumInterval: .milliseconds(800))
    let env = Self.job(
      objective: objective, root: root, logs: logs, monitor: JobMonitor(), count: 30_000,
      stateBackend: .rocksdb(directory: state.path))
    _ = try await withTimeout(60) { try await env.execute() }
    let readBacks = logs.lines.filter {
      $0.hasPrefix("checkpoint read back to calibrate the restore time")
    }
    try #require(!readBacks.isEmpty, "\(logs.lines)")
    func number(_ name: String, in line: String) -> Int? {
      line.split(separator: " ").first { $0.hasPrefix("\(name)=") }
        .flatMap { Int($0.dropFirst(name.count + 1)) }
    }
    for line in readBacks {
      // Every entry of the checkpoint (one per key seen, at most 1000) was
      // inserted into a scratch RocksDB backend beside the job's own.
      let inserted = try #require(number("entries_inserted", in: line))
      #expect(inserted > 0 && inserted <= 1_000, "\(line)")
      #expect(number("entries_decoded", in: line) == inserted, "\(line)")
      #expect(line.contains(" scratch_directory=\(state.path)/tributary-readback-"), "\(line)")
    }
    // The job's own working directories and every scratch directory are gone.
    #expect(try FileManager.default.contentsOfDirectory(atPath: state.path).isEmpty)
  }
}
