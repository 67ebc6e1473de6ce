import Tributary

/// What one workload run measured.
struct WorkloadResult {
  var seconds: Double
  var outputRecords: Int
  var outputSum: Int64
  var extra: [String: JSONValue] = [:]
}

extension Duration {
  /// This duration in seconds.
  var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}

extension JobResult {
  /// The checkpoint figures of a run, as JSON fields (none when checkpointing was off).
  var checkpointFields: [String: JSONValue] {
    guard let report = checkpoints else { return ["checkpoints_completed": .int(0)] }
    func value(_ v: Int64?) -> JSONValue { v.map { .int64($0) } ?? .double(.nan) }
    return [
      "checkpoints_completed": .int(report.completed),
      "checkpoints_failed": .int(report.failed),
      "checkpoint_ms_p50": value(report.durationMillisP50),
      "checkpoint_ms_max": value(report.durationMillisMax),
      "checkpoint_sync_ms_max": value(report.syncMillisMax),
      "alignment_ms_max": value(report.alignmentMillisMax),
      "checkpoint_bytes_last": .int64(report.bytesLast),
      "checkpoint_bytes_incremental_avg": .int64(report.incrementalBytesAverage),
      "checkpoint_interval_ms_final": value(report.intervalMillisFinal),
      "predicted_recovery_ms": report.predictedRecoveryMillis.map { .double($0.rounded()) }
        ?? .double(.nan),
    ]
  }
}

/// The environment every workload runs in.
func benchEnvironment(
  parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?
) -> StreamEnvironment {
  var config = JobConfiguration()
  config.parallelism = parallelism
  config.stateBackend = backend
  config.checkpointing = checkpointing
  config.monitor = BenchMonitoring.monitor
  return StreamEnvironment(configuration: config)
}

/// The monitor of the benchmark's job (`tributary-bench run --metrics`), if any.
enum BenchMonitoring {
  /// Set around a workload run; `benchEnvironment` attaches it to the job.
  @TaskLocal static var monitor: JobMonitor?
}
