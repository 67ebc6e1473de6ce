import CoreMetrics

/// `tributary_state_entries` and `tributary_state_bytes` of one keyed
/// subtask, as cheaply as the backend can tell: set at every snapshot
/// (checkpoint or savepoint) from what the snapshot counted and wrote
/// (portable format), or from RocksDB's own estimates (`rocksdb.estimate-num-keys`,
/// `rocksdb.estimate-live-data-size`) for incremental native snapshots.
/// Without checkpoints they stay at 0. Labels `job`, `operator`, `subtask`.
/// Thread-safe (gauges are).
struct StateSizeGauges: Sendable {
  private let entries: Gauge
  private let bytes: Gauge

  /// Registers both gauges with `context`'s metrics factory.
  init(context: OperatorContext) {
    entries = Gauge(
      label: "tributary_state_entries", dimensions: context.metricDimensions,
      factory: context.metricsFactory)
    bytes = Gauge(
      label: "tributary_state_bytes", dimensions: context.metricDimensions,
      factory: context.metricsFactory)
    entries.record(0)
    bytes.record(0)
  }

  /// The state now holds about `entries` entries taking about `bytes` bytes.
  func record(entries: Int, bytes: Int) {
    self.entries.record(entries)
    self.bytes.record(bytes)
  }
}
