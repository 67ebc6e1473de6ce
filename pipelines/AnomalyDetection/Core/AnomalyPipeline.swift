import Tributary

/// The anomaly-detection dataflow, shared by the executable and the tests.
///
/// ```
/// readings ─ watermarks ─┬─ keyBy(sensor) ─ Detect (spike, stuck, silence) ─────────────┐
///                        └─ keyBy(sensor) ─ sliding window (count, mean, min, max)      ├─ alerts
///                              ─ keyBy(sensor) ─ Shift (level shift, drift) ────────────┘
/// ```
///
/// With ``DetectorSettings/Detectors/novelty`` (the `--input` path) it is one
/// keyed stage instead: `readings ─ watermarks ─ keyBy(sensor) ─ Novelty ─ alerts`.
public enum AnomalyPipeline {
  /// Adds the detectors to `readings` (event time from ``Reading/timestampMs``,
  /// watermarks `outOfOrderness` behind the largest timestamp) and returns the
  /// alert stream. `intervalMs` is the usual gap between a sensor's readings,
  /// which sizes the sliding windows.
  public static func alerts(
    from readings: DataStream<Reading>, settings: DetectorSettings, intervalMs: Int64,
    outOfOrderness: Duration, counter: ReadingCounter? = nil, sourceParallelism: Int? = nil
  ) -> DataStream<Alert> {
    var timed = readings.assignTimestampsAndWatermarks(
      .boundedOutOfOrderness(outOfOrderness) { $0.timestampMs })
    if let sourceParallelism { timed = timed.parallelism(sourceParallelism) }
    if settings.detectors == .novelty {
      return timed.keyBy { Int64($0.sensor) }
        .process(
          name: "Novelty", NoveltyDetectorFunction(detector: settings.novelty, counter: counter))
    }
    let perReading = timed.keyBy { Int64($0.sensor) }
      .process(name: "Detect", ReadingDetectorFunction(settings: settings, counter: counter))
    let (size, slide) = settings.windowing(intervalMs: intervalMs)
    let shifts = timed.keyBy { Int64($0.sensor) }
      .window(.sliding(.milliseconds(size), slide: .milliseconds(slide)))
      .aggregate(name: "WindowFeatures", WindowStats()) { sensor, window, acc in
        WindowStats.feature(sensor: Int32(sensor), windowEnd: window.end, acc)
      }
      .keyBy { Int64($0.sensor) }
      .process(name: "Shift", ShiftDetectorFunction(detector: settings.shift))
    return perReading.union(shifts)
  }
}
