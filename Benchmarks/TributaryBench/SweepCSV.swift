import Foundation

/// The CSV the sweep writes: one row per point and repetition.
enum SweepCSV {
  /// The columns, in order.
  static let columns = [
    "round", "workload", "state", "parallelism", "interval", "interval_ms", "mode", "events",
    "seconds", "events_per_second", "relative_throughput", "checkpoints_completed",
    "checkpoints_failed", "checkpoint_ms_p50", "checkpoint_ms_max", "sync_pause_ms_max",
    "alignment_ms_max", "checkpoint_bytes_full", "checkpoint_bytes_incremental",
    "latency_ms_p50", "latency_ms_p99", "latency_ms_p999", "peak_rss_bytes", "recovery_measured",
    "failure_at_ms",
    "events_before_failure", "events_replayed", "restore_ms", "catch_up_ms",
  ]

  /// One row: the point, the throughput run's JSON (`run`), the recovery
  /// run's JSON (`recover`, `nil` when not measured: its columns are 0) and the
  /// relative throughput. Missing and non-numeric figures (checkpoint durations
  /// with checkpointing off) are 0.
  static func row(
    round: Int, point: SweepPoint, run: BenchReport, recover: BenchReport?,
    relativeThroughput: Double
  ) -> String {
    let i = point.interval
    let fields: [String] = [
      String(round), point.setup.workload, point.setup.state, String(point.setup.parallelism),
      i.label, String(i.milliseconds ?? 0), i.mode, integer(run["events"]),
      decimal(run["seconds"], 3), decimal(run["events_per_second"], 0),
      decimal(relativeThroughput, 4), integer(run["checkpoints_completed"]),
      integer(run["checkpoints_failed"]), integer(run["checkpoint_ms_p50"]),
      integer(run["checkpoint_ms_max"]), integer(run["checkpoint_sync_ms_max"]),
      integer(run["alignment_ms_max"]), integer(run["checkpoint_bytes_last"]),
      integer(run["checkpoint_bytes_incremental_avg"]), decimal(run["latency_ms_p50"], 3),
      decimal(run["latency_ms_p99"], 3), decimal(run["latency_ms_p999"], 3),
      integer(run["peak_rss_bytes"]), recover == nil ? "0" : "1",
      decimal(recover?["failure_at_ms"], 1), integer(recover?["events_before_failure"]),
      integer(recover?["events_replayed"]), decimal(recover?["restore_ms"], 1),
      decimal(recover?["catch_up_ms"], 1),
    ]
    return fields.joined(separator: ",")
  }

  private static func integer(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "0" }
    return String(Int64(value.rounded()))
  }

  private static func decimal(_ value: Double?, _ places: Int) -> String {
    guard let value, value.isFinite else { return "0" }
    return String(format: "%.\(places)f", value)
  }
}

/// The numeric fields of one JSON line printed by `tributary-bench run` or
/// `recover` (`null` and strings are absent).
struct BenchReport: Sendable {
  var values: [String: Double]

  /// Parses the last non-empty line of `output` as a JSON object.
  init(parsing output: String) throws {
    guard let line = output.split(separator: "\n").last(where: { !$0.isEmpty }),
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { throw SweepError.unreadableReport(output) }
    var values: [String: Double] = [:]
    for (key, value) in object {
      if let number = value as? NSNumber, !(value is String) { values[key] = number.doubleValue }
    }
    self.values = values
  }

  subscript(key: String) -> Double? { values[key] }
}
