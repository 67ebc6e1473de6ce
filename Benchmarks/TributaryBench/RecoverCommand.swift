import ArgumentParser
import Foundation
import Tributary

/// `tributary-bench recover`: runs W2 or W3 unbounded with checkpointing,
/// injects one failure, lets the job restart from its latest checkpoint and
/// reports what the recovery cost, as one JSON line.
struct RecoverCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recover",
    abstract: "Inject a failure into a checkpointed workload and measure its recovery.",
    discussion: """
      The job runs an unbounded W2 or W3 with the given checkpoint interval (off: no \
      periodic checkpoints, so the restart begins from the start of the input) and a restart \
      strategy of one immediate restart. After --warmup-ms, the next completed checkpoint and \
      then --phase times the interval (off: --warmup-ms plus --phase seconds), an operator \
      right after the source throws, so the failure lands at a chosen phase of the checkpoint \
      cycle. Reported: the events the sources emitted before the failure and again \
      after the restart (events_replayed), the time to restore state (restore_ms, \
      JobResult.restoreDuration), from the failure until the sources emit again \
      (sources_resumed_ms; they may run ahead while keyed state is still being restored, up to \
      the channel capacity), and from the failure until every source subtask is back where it was \
      (catch_up_ms). Then the job stops with a savepoint.
      """)

  @Option(help: "Workload: w2 (tumbling windows) or w3 (per-event keyed state).")
  var workload: String

  @Option(help: "Parallelism of every operator.")
  var parallelism: Int = 1

  @Option(help: "State backend: heap or rocksdb.")
  var state: String = "heap"

  @Option(help: "RocksDB write-back cache per keyed subtask in MiB (0 turns it off).")
  var stateCacheMb: Int = 64

  @Option(help: "Checkpoint interval: off, 10s, 1s, 500ms, 100ms, 10ms, … or auto")
  var checkpointInterval: String = "1s"

  @OptionGroup var recovery: RecoveryObjectiveOptions

  @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
  var mode: String = "exactly-once"

  @Option(help: "Run this many milliseconds before waiting for the failure moment.")
  var warmupMs: Int = 1_000

  @Option(
    help:
      "Fail this fraction of an interval (0..<1) after the first checkpoint completed after warm-up (off: this many seconds after warm-up)."
  )
  var phase: Double = 0.5

  @Option(help: "Give up when the job has not caught up this many seconds after the failure.")
  var timeoutSeconds: Int = 300

  @Option(
    help:
      "Inject this many failures into one job, each after the previous recovery, at --phase for the first and random phases (from --seed) after it."
  )
  var failures: Int = 1

  @Option(help: "Seed of the random phases of failures after the first.")
  var seed: UInt64 = 1

  @Flag(help: "Print one JSON object on one line.")
  var json = false

  func validate() throws {
    guard (1...128).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...128")
    }
    guard ["w2", "w3"].contains(workload) else {
      throw ValidationError("unknown --workload '\(workload)'; use w2 or w3")
    }
    try validateStateAndCheckpointOptions(
      state: state, stateCacheMb: stateCacheMb, checkpointInterval: checkpointInterval, mode: mode,
      recovery: recovery)
    guard warmupMs >= 0 else { throw ValidationError("--warmup-ms must not be negative") }
    guard (0..<1).contains(phase) else { throw ValidationError("--phase must be in 0..<1") }
    guard timeoutSeconds > 0 else { throw ValidationError("--timeout-seconds must be positive") }
    guard failures >= 1 else { throw ValidationError("--failures must be at least 1") }
  }

  func run() async throws {
    let workDir = NSTemporaryDirectory() + "tributary-recover-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: workDir) }
    let backend = StateBackendConfiguration(
      kind: StateBackendConfiguration.Kind(rawValue: state)!, directory: workDir + "/state",
      cacheBytes: stateCacheMb << 20)
    let savepoints = SavepointControl()
    let checkpointing = recovery.checkpointing(
      interval: checkpointInterval, mode: mode, directory: workDir + "/checkpoints",
      savepoints: savepoints)!
    // The monitor tells `drive` the interval in force (auto) and the
    // objective's prediction.
    let monitor = JobMonitor()
    let env = BenchMonitoring.$monitor.withValue(monitor) {
      benchEnvironment(parallelism: parallelism, backend: backend, checkpointing: checkpointing)
    }
    env.configuration.restartStrategy = .fixedDelay(attempts: failures, delay: .zero)
    let probe = RecoveryProbe(parallelism: parallelism)
    if workload == "w2" {
      _ = addW2Pipeline(to: env, count: nil, parallelism: parallelism, probe: probe)
    } else {
      _ = addW3Pipeline(to: env, count: nil, latency: false, probe: probe)
    }
    let start = monotonicNanos()
    let job = Task { try await env.execute() }
    let (driven, atFailures, failureTimes) = try await drive(
      probe: probe, savepoints: savepoints, checkpoints: checkpointing.directory, start: start,
      monitor: monitor)
    let chosen = monitor.checkpoints.interval
    let result = try await job.value
    let all = probe.measurements
    guard driven, let measured = all.first, let failedAt = failureTimes.first else {
      throw RecoveryError.notCaughtUp(seconds: timeoutSeconds)
    }
    let atFailure = atFailures.first ?? nil
    var fields: [(String, JSONValue)] = [
      ("workload", .string(workload)),
      ("state", .string(state)),
      ("parallelism", .int(parallelism)),
      ("checkpoint_interval", .string(checkpointInterval)),
      ("mode", .string(mode)),
      ("warmup_ms", .int(warmupMs)),
      ("phase", .double(phase)),
      ("failure_at_ms", .double(Double(failedAt - start) / 1e6)),
      ("events_before_failure", .int(measured.eventsBeforeFailure)),
      ("events_replayed", .int(measured.eventsReplayed)),
      ("restore_ms", .double((result.restoreDuration?.seconds ?? 0) * 1_000)),
      ("sources_resumed_ms", .double(measured.sourcesResumedMs)),
      ("catch_up_ms", .double(measured.catchUpMs)),
      ("peak_rss_bytes", .int(peakResidentBytes())),
      ("failures", .int(all.count)),
      ("catch_up_ms_each", .array(all.map { .double($0.catchUpMs) })),
      ("events_replayed_each", .array(all.map { .int($0.eventsReplayed) })),
    ]
    if let chosen {
      // The interval and prediction in force when the failure was injected.
      fields += [
        ("recovery_objective_ms", .int64(chosen.recoveryObjectiveMs)),
        ("checkpoint_interval_ms_at_failure", .int64(atFailure?.intervalMs ?? chosen.intervalMs)),
        (
          "predicted_recovery_ms",
          atFailure?.predictedRecoveryMs.map { .int64($0) } ?? .double(.nan)
        ),
        ("objective_met", .string(chosen.objectiveMet ? "yes" : "no")),
        (
          "checkpoint_interval_ms_at_failure_each",
          .array(atFailures.map { $0.map { .int64($0.intervalMs) } ?? .double(.nan) })
        ),
        (
          "predicted_recovery_ms_each",
          .array(
            atFailures.map { $0?.predictedRecoveryMs.map { .int64($0) } ?? .double(.nan) })
        ),
        (
          "within_objective",
          .double(
            Double(all.filter { $0.catchUpMs <= Double(chosen.recoveryObjectiveMs) }.count)
              / Double(all.count))
        ),
      ]
    }
    if json {
      print(jsonLine(fields))
    } else {
      for (key, value) in fields { print("\(key): \(value.text)") }
    }
  }

  /// Injects `failures` failures, each on time (the first after the
  /// warm-up, each later one after the previous recovery), waits until the
  /// restarted job caught up each time, then stops it with a savepoint.
  /// Returns whether every recovery completed in time, the chosen interval
  /// and prediction at each failure (auto), and when each was requested.
  private func drive(
    probe: RecoveryProbe, savepoints: SavepointControl, checkpoints: String, start: UInt64,
    monitor: JobMonitor
  ) async throws -> (caughtUp: Bool, atFailures: [CheckpointIntervalStatus?], times: [UInt64]) {
    try await sleep(until: start + UInt64(warmupMs) * 1_000_000)
    var random = SweepRandom(seed: seed)
    var atFailures: [CheckpointIntervalStatus?] = []
    var times: [UInt64] = []
    for k in 0..<failures {
      let phase = k == 0 ? self.phase : random.unit()
      let fixed = Interval(parsing: checkpointInterval)?.millisecondsValue
      if let interval = fixed ?? monitor.checkpoints.interval?.intervalMs {
        let seen = Self.latestCompletedCheckpoint(in: checkpoints)
        while Self.latestCompletedCheckpoint(in: checkpoints) == seen {
          try await Task.sleep(for: .milliseconds(1))
        }
        try await Task.sleep(for: .milliseconds(Double(interval) * phase))
      } else {
        try await Task.sleep(for: .milliseconds(1_000 * phase))
      }
      atFailures.append(monitor.checkpoints.interval)
      times.append(monotonicNanos())
      probe.requestFailure()
      let deadline = monotonicNanos() + UInt64(timeoutSeconds) * 1_000_000_000
      while probe.recoveries <= k && monotonicNanos() < deadline {
        try await Task.sleep(for: .milliseconds(2))
      }
      if probe.recoveries <= k { break }
    }
    savepoints.requestStopWithSavepoint()
    return (probe.recoveries == failures, atFailures, times)
  }

  private func sleep(until nanos: UInt64) async throws {
    let now = monotonicNanos()
    if nanos > now { try await Task.sleep(for: .nanoseconds(Int64(nanos - now))) }
  }

  /// The highest id of a completed checkpoint (`chk-N` with `_metadata`) in `directory`, or 0.
  static func latestCompletedCheckpoint(in directory: String) -> Int64 {
    let manager = FileManager.default
    var highest: Int64 = 0
    for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? []
    where name.hasPrefix("chk-") {
      if let id = Int64(name.dropFirst(4)), id > highest,
        manager.fileExists(atPath: directory + "/" + name + "/_metadata")
      {
        highest = id
      }
    }
    return highest
  }
}

/// Why a recovery measurement has no result.
enum RecoveryError: Error, CustomStringConvertible {
  /// The restarted job did not reach its position at the failure in time.
  case notCaughtUp(seconds: Int)

  var description: String {
    switch self {
    case .notCaughtUp(let seconds):
      return
        "the job did not catch up within \(seconds) s after the injected failure; "
        + "raise --timeout-seconds or check the job's log for a second failure"
    }
  }
}
