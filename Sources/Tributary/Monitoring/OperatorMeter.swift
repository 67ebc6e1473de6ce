import CoreMetrics
import Synchronization

/// The measurements of one subtask of one operator: records in and out and
/// its current event time: the watermark it received, or for a source (which
/// receives none) the watermark it emitted.
///
/// Written by the subtask's own task once per batch (never per record): one
/// relaxed atomic add. The swift-metrics counters are brought up to date
/// from those atomics by ``exportCounts()``, which the monitor's sampler
/// calls about once a second and when the job ends, so a scrape may lag the
/// records by up to a second. Thread-safe: read by the sampler at any time.
final class OperatorMeter: Sendable {
  /// Records received (pushed into the operator).
  let recordsIn = Atomic<Int64>(0)
  /// Records emitted to the next operator or task.
  let recordsOut = Atomic<Int64>(0)
  /// The operator's current event time (the watermark it received); `Int64.min`
  /// before its first watermark.
  let watermark = Atomic<Int64>(Int64.min)
  /// The latest watermark it emitted; `Int64.min` before its first.
  let outputWatermark = Atomic<Int64>(Int64.min)

  /// What ``exportCounts()`` last added to the swift-metrics counters.
  private let exportedIn = Atomic<Int64>(0)
  private let exportedOut = Atomic<Int64>(0)
  private let inCounter: Counter
  private let outCounter: Counter
  private let watermarkGauge: Gauge
  private let isSource: Bool

  /// Registers the operator's metrics with `factory`, labelled `dimensions`
  /// (`job`, `operator`, `subtask`); `isSource` for a source.
  init(dimensions: [(String, String)], isSource: Bool, factory: any MetricsFactory) {
    self.isSource = isSource
    inCounter = Counter(
      label: "tributary_records_in_total", dimensions: dimensions, factory: factory)
    outCounter = Counter(
      label: "tributary_records_out_total", dimensions: dimensions, factory: factory)
    watermarkGauge = Gauge(
      label: "tributary_watermark_milliseconds", dimensions: dimensions, factory: factory)
  }

  /// The operator received a batch of `count` records.
  @inline(__always)
  func received(_ count: Int) {
    recordsIn.add(Int64(count), ordering: .relaxed)
  }

  /// The operator emitted a batch of `count` records.
  @inline(__always)
  func emitted(_ count: Int) {
    recordsOut.add(Int64(count), ordering: .relaxed)
  }

  /// Adds to the swift-metrics counters what the records counters gained
  /// since the last call. Called by one sampler at a time (under the
  /// monitor's lock); the exported counters never go backwards.
  func exportCounts() {
    let recordsIn = recordsIn.load(ordering: .relaxed)
    let previousIn = exportedIn.exchange(recordsIn, ordering: .relaxed)
    if recordsIn > previousIn { inCounter.increment(by: recordsIn - previousIn) }
    let recordsOut = recordsOut.load(ordering: .relaxed)
    let previousOut = exportedOut.exchange(recordsOut, ordering: .relaxed)
    if recordsOut > previousOut { outCounter.increment(by: recordsOut - previousOut) }
  }

  /// The operator received `watermark` (ms).
  func watermarkAdvanced(_ watermark: Int64) {
    self.watermark.store(watermark, ordering: .relaxed)
    watermarkGauge.record(watermark)
  }

  /// The operator emitted `watermark` (ms) to the next operator or task.
  func watermarkEmitted(_ watermark: Int64) {
    outputWatermark.store(watermark, ordering: .relaxed)
    if isSource { watermarkAdvanced(watermark) }
  }

  /// The latest watermark it emitted, or `nil` before the first.
  var currentOutputWatermark: Int64? {
    let value = outputWatermark.load(ordering: .relaxed)
    return value == Int64.min ? nil : value
  }

  /// The current event time, or `nil` before the first watermark.
  var currentWatermark: Int64? {
    let value = watermark.load(ordering: .relaxed)
    return value == Int64.min ? nil : value
  }
}
