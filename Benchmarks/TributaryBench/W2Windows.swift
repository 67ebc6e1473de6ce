import Foundation
import Histogram
import Synchronization
import Tributary

/// One W2 result: a key's count and sum in one window.
struct WindowCount: Sendable {
  var windowEnd: Int64
  var key: Int64
  var count: Int64
  var sum: Int64
}

/// W2's incremental aggregate: (count, sum of value).
struct CountAndSum: AggregateFunction {
  func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
  func add(_ event: CanonicalEvent, to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(acc.first &+ 1, acc.second &+ event.value)
  }
  func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
  func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(a.first &+ b.first, a.second &+ b.second)
  }
}

/// Wall-clock moments at which the sources' watermarks passed each window end.
/// The effective moment is the latest over source subtasks, since a window
/// fires on the minimum watermark of all of them.
final class WatermarkPassTimes: Sendable {
  private let state = Mutex<[Int64: (subtasks: Int, nanos: UInt64)]>([:])
  let sourceParallelism: Int
  init(sourceParallelism: Int) { self.sourceParallelism = sourceParallelism }

  func passed(windowEnd: Int64, at nanos: UInt64) {
    state.withLock { times in
      let previous = times[windowEnd] ?? (0, 0)
      times[windowEnd] = (previous.subtasks + 1, max(previous.nanos, nanos))
    }
  }

  /// The moment every source subtask passed `windowEnd`, if they all did.
  func moment(of windowEnd: Int64) -> UInt64? {
    state.withLock { times in
      guard let entry = times[windowEnd], entry.subtasks >= sourceParallelism else { return nil }
      return entry.nanos
    }
  }

  /// Every window end that all source subtasks passed, with its moment.
  var moments: [Int64: UInt64] {
    state.withLock { times in
      times.compactMapValues { $0.subtasks >= sourceParallelism ? $0.nanos : nil }
    }
  }
}

/// Sits right after the watermark assigner and notes when its watermark
/// passes each window end (W2 windows are 1,000 ms, aligned to 0).
final class WatermarkProbe: StreamOperator {
  typealias Input = CanonicalEvent
  typealias Output = CanonicalEvent
  let times: WatermarkPassTimes
  var nextWindowEnd: Int64 = 1_000
  init(times: WatermarkPassTimes) { self.times = times }

  func processBatch(_ batch: [CanonicalEvent], into output: inout [CanonicalEvent]) throws {
    output = batch
  }

  func processWatermark(_ watermark: Int64, into output: inout [CanonicalEvent]) throws -> Int64? {
    let now = monotonicNanos()
    // A window [end-1000, end) fires once the watermark reaches end - 1.
    while watermark != .max && watermark >= nextWindowEnd - 1 {
      times.passed(windowEnd: nextWindowEnd, at: now)
      nextWindowEnd += 1_000
    }
    return watermark
  }
}

/// Counts W2 results and records each result's delay since its window's
/// watermark passed the sources.
final class W2Sink: StreamSink {
  typealias Input = WindowCount
  let report: W2Report
  var records = 0
  var count: Int64 = 0
  var sum: Int64 = 0
  var latencies = Histogram<UInt64>(highestTrackableValue: 600_000_000)
  init(report: W2Report) { self.report = report }

  func write(_ batch: [WindowCount]) throws {
    let now = monotonicNanos()
    var lastEnd: Int64 = .min
    var passedAt: UInt64?
    for result in batch {
      records += 1
      count &+= result.count
      sum &+= result.sum
      if result.windowEnd != lastEnd {
        lastEnd = result.windowEnd
        passedAt = report.passTimes.moment(of: result.windowEnd)
      }
      if let passedAt, now >= passedAt {
        _ = latencies.record((now - passedAt) / 1_000)  // microseconds
      }
    }
  }

  func finish() throws { report.merge(self) }
}

/// Totals merged from every W2 sink subtask.
final class W2Report: Sendable {
  let passTimes: WatermarkPassTimes
  private let state = Mutex<(records: Int, count: Int64, sum: Int64, latencies: Histogram<UInt64>)>(
    (0, 0, 0, Histogram<UInt64>(highestTrackableValue: 600_000_000)))
  init(passTimes: WatermarkPassTimes) { self.passTimes = passTimes }

  func merge(_ sink: W2Sink) {
    let (records, count, sum, latencies) = (sink.records, sink.count, sink.sum, sink.latencies)
    state.withLock {
      $0.records += records
      $0.count &+= count
      $0.sum &+= sum
      $0.latencies.add(latencies)
    }
  }

  var totals: (records: Int, count: Int64, sum: Int64, latencies: Histogram<UInt64>) {
    state.withLock { $0 }
  }
}

/// Nanoseconds of the monotonic clock (for differences only).
func monotonicNanos() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// W2: canonical events with ordered timestamps, keyBy key, tumbling
/// event-time windows of 1,000 ms, incremental count and sum per key and window.
func runW2(
  events: Int, parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?
) async throws -> WorkloadResult {
  let env = benchEnvironment(
    parallelism: parallelism, backend: backend, checkpointing: checkpointing)
  let report = addW2Pipeline(to: env, count: events, parallelism: parallelism, probe: nil)
  let result = try await env.execute()
  let totals = report.totals
  let latencies = totals.latencies
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: totals.records, outputSum: totals.sum,
    extra: [
      "output_count": .int64(totals.count),
      "latency_ms_p50": .double(Double(latencies.valueAtPercentile(50)) / 1_000),
      "latency_ms_p99": .double(Double(latencies.valueAtPercentile(99)) / 1_000),
      "latency_ms_p999": .double(Double(latencies.valueAtPercentile(99.9)) / 1_000),
    ].merging(result.checkpointFields) { a, _ in a })
}

/// Adds W2 to `env` (`count` events, or unbounded when `nil`), with a
/// ``FailureInjector`` after the source when `probe` is set.
func addW2Pipeline(
  to env: StreamEnvironment, count: Int?, parallelism: Int, probe: RecoveryProbe?
) -> W2Report {
  addW2Windows(
    to: env.generate(count: count) { CanonicalEvent.make($0) }
      .injectingFailures(probe) { CanonicalEvent.index(of: $0) }
      .assignTimestampsAndWatermarks(
        .monotonic { $0.timestampMs }.withInterval(.milliseconds(50))
      ),
    parallelism: parallelism)
}

/// W2's windows and counting sink over `events` (which carry timestamps and
/// watermarks), with the watermark probe right after the source.
func addW2Windows(to events: DataStream<CanonicalEvent>, parallelism: Int) -> W2Report {
  let report = W2Report(passTimes: WatermarkPassTimes(sourceParallelism: parallelism))
  w2CountSum(events, passTimes: report.passTimes)
    .sink(name: "W2Sink") { _ in W2Sink(report: report) }
  return report
}

/// W2's keyed 1 s tumbling windows, count and sum per key, over `events`,
/// behind a watermark probe that records into `passTimes`.
func w2CountSum(_ events: DataStream<CanonicalEvent>, passTimes: WatermarkPassTimes)
  -> DataStream<WindowCount>
{
  events
    .transform("WatermarkProbe") { _ in OperatorKernel(WatermarkProbe(times: passTimes)) }
    .withTimestamps { $0.timestampMs }
    .keyBy { $0.key }
    .window(.tumbling(.milliseconds(1_000)))
    .aggregate(name: "CountSum", CountAndSum()) { key, window, acc in
      WindowCount(windowEnd: window.end, key: key, count: acc.first, sum: acc.second)
    }
}

/// W2 in a plain single-threaded loop: a dictionary per key, flushed at each
/// window end (the yardstick).
func runW2PlainLoop(events: Int) -> WorkloadResult {
  let start = ContinuousClock.now
  var window: [Int64: (count: Int64, sum: Int64)] = [:]
  var windowEnd: Int64 = 1_000
  var records = 0
  var sum: Int64 = 0
  func flush() {
    for (_, acc) in window {
      records += 1
      sum &+= acc.sum
    }
    window.removeAll(keepingCapacity: true)
  }
  for i in 0..<events {
    let event = CanonicalEvent.make(i)
    if event.timestampMs >= windowEnd {
      flush()
      windowEnd = (event.timestampMs / 1_000 + 1) * 1_000
    }
    window[event.key, default: (0, 0)].count &+= 1
    window[event.key, default: (0, 0)].sum &+= event.value
  }
  flush()
  return WorkloadResult(
    seconds: start.duration(to: .now).seconds, outputRecords: records, outputSum: sum)
}
