import CoreMetrics
import Prometheus

/// The engine's metrics in the Prometheus text exposition format.
///
/// Pass ``factory`` to ``Tributary/JobMonitor/init(metricsFactory:)`` (and,
/// if the process uses swift-metrics elsewhere, to `MetricsSystem.bootstrap`);
/// ``exposition()`` renders everything registered so far, as `GET /metrics`
/// serves it. The checkpoint histograms get buckets that fit checkpoints:
/// 1 ms to 5 min for durations (checkpoints, alignments, sink commits), 1 KiB
/// to 16 GiB for sizes. Thread-safe.
public final class PrometheusMetrics: Sendable {
  /// Where every metric lives.
  public let registry: PrometheusCollectorRegistry
  /// A swift-metrics factory registering into ``registry``.
  public let factory: PrometheusMetricsFactory

  /// Bucket bounds of `tributary_checkpoint_duration_seconds`.
  public static let checkpointDurationBuckets: [Double] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
  ]
  /// Bucket bounds of `tributary_checkpoint_size_bytes` (powers of four from 1 KiB).
  public static let checkpointSizeBuckets: [Double] = (0...12).map { Double(1 << (10 + 2 * $0)) }

  /// An empty registry and its factory.
  public init() {
    registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.valueHistogramBuckets = [
      "tributary_checkpoint_duration_seconds": Self.checkpointDurationBuckets,
      "tributary_checkpoint_size_bytes": Self.checkpointSizeBuckets,
      "tributary_checkpoint_alignment_seconds": Self.checkpointDurationBuckets,
      "tributary_sink_commit_seconds": Self.checkpointDurationBuckets,
    ]
    self.factory = factory
  }

  /// Every registered metric in the Prometheus text format (version 0.0.4).
  public func exposition() -> [UInt8] {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(16 * 1024)
    registry.emit(into: &buffer)
    return buffer
  }
}
