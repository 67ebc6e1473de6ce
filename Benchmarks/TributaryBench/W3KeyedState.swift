import Foundation
import Histogram
import Synchronization
import Tributary

/// One key's final sum in W3.
struct KeySum: Sendable {
  var key: Int64
  var sum: Int64
}

/// W3's keyed function: per event, read the key's sum, add the value, write it
/// back; at end of input emit one `(key, sum)` per key. With `stamps`, it also
/// records each sampled event's delay since the source emitted it.
struct W3RunningSum: KeyedProcessFunction {
  let report: W3Report
  var stamps: EmissionStamps?
  var sum: ValueState<Int64>!
  var latencies = Histogram<UInt64>(highestTrackableValue: 600_000_000)

  mutating func open(_ context: KeyedContext<Int64>) throws {
    sum = try context.state(ValueStateDescriptor<Int64>("sum"))
  }

  mutating func processElement(
    _ event: CanonicalEvent, context: KeyedContext<Int64>, out: inout Collector<KeySum>
  ) throws {
    try sum.update((try sum.value() ?? 0) &+ event.value)
    // Sampled events have i % 1000 == 0, so value 0 and i == timestamp_ms * 1000.
    if event.value == 0, let stamps {
      let i = Int(event.timestampMs) * 1_000
      if w3Event(i).key == event.key, let emitted = stamps.emitted(i) {
        let now = monotonicNanos()
        if now >= emitted { _ = latencies.record((now - emitted) / 1_000) }  // microseconds
      }
    }
  }

  mutating func endOfInput(context: KeyedContext<Int64>, out: inout Collector<KeySum>) throws {
    report.addBytesOnDisk(try context.stateBackend.bytesOnDisk())
    if stamps != nil { report.addLatencies(latencies) }
    let sum = self.sum!
    try context.forEachKey(of: sum) { key in out.emit(KeySum(key: key, sum: try sum.value()!)) }
  }
}

/// Totals merged from every subtask of a W3 run.
final class W3Report: Sendable {
  private let state = Mutex<(records: Int, sum: Int64, bytesOnDisk: Int)>((0, 0, 0))
  private let latencyState = Mutex(Histogram<UInt64>(highestTrackableValue: 600_000_000))
  func addBytesOnDisk(_ bytes: Int) { state.withLock { $0.bytesOnDisk += bytes } }
  func addLatencies(_ histogram: Histogram<UInt64>) { latencyState.withLock { $0.add(histogram) } }
  /// Source-to-state delays in microseconds, merged from every subtask.
  var latencies: Histogram<UInt64> { latencyState.withLock { $0 } }
  func add(_ batch: [KeySum]) {
    var s: Int64 = 0
    for item in batch { s &+= item.sum }
    state.withLock {
      $0.records += batch.count
      $0.sum &+= s
    }
  }
  var totals: (records: Int, sum: Int64, bytesOnDisk: Int) { state.withLock { $0 } }
}

/// W3's canonical event: like W1's but over a million keys.
@inline(__always)
func w3Event(_ i: Int) -> CanonicalEvent {
  CanonicalEvent(
    key: Int64((i &* 7_919) % 1_000_000), timestampMs: Int64(i / 1_000), value: Int64(i % 100))
}

/// The index `i` of a W3 event made by ``w3Event(_:)``: `key` fixes `i` modulo
/// a million (7,919 is invertible modulo 10^6, its inverse is 17,679) and
/// `timestamp_ms / 1000` is `i / 10^6`.
@inline(__always)
func w3Index(of event: CanonicalEvent) -> Int {
  Int(event.timestampMs / 1_000) * 1_000_000 + Int(event.key) * 17_679 % 1_000_000
}

/// W3 (per-event keyed state) on the chosen backend; with `latency`, also the
/// delay from the source to the keyed state of every 1000th event.
func runW3(
  events: Int, parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?, latency: Bool = false
) async throws -> WorkloadResult {
  let env = benchEnvironment(
    parallelism: parallelism, backend: backend, checkpointing: checkpointing)
  let report = addW3Pipeline(to: env, count: events, latency: latency, probe: nil)
  let result = try await env.execute()
  let totals = report.totals
  var extra = result.checkpointFields
  if backend.kind == .rocksdb { extra["state_bytes_on_disk"] = .int(totals.bytesOnDisk) }
  if latency {
    let latencies = report.latencies
    extra["latency_ms_p50"] = .double(Double(latencies.valueAtPercentile(50)) / 1_000)
    extra["latency_ms_p99"] = .double(Double(latencies.valueAtPercentile(99)) / 1_000)
    extra["latency_ms_p999"] = .double(Double(latencies.valueAtPercentile(99.9)) / 1_000)
  }
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: totals.records, outputSum: totals.sum,
    extra: extra)
}

/// Adds W3 to `env` (`count` events, or unbounded when `nil`), sampling
/// source-to-state latency when `latency` is set, with a ``FailureInjector``
/// after the source when `probe` is set.
func addW3Pipeline(
  to env: StreamEnvironment, count: Int?, latency: Bool, probe: RecoveryProbe?
) -> W3Report {
  let report = W3Report()
  let stamps = latency ? EmissionStamps() : nil
  let source =
    if let stamps {
      env.generate(count: count) { i in
        if EmissionStamps.isSampled(i) { stamps.stamp(i) }
        return w3Event(i)
      }
    } else {
      env.generate(count: count) { w3Event($0) }
    }
  source
    .injectingFailures(probe) { w3Index(of: $0) }
    .keyBy { $0.key }
    .process(name: "RunningSum", W3RunningSum(report: report, stamps: stamps))
    .sink(name: "SumSink") { (batch: [KeySum]) in report.add(batch) }
  return report
}

/// W3 in a plain single-threaded loop over a Swift dictionary: the heap yardstick.
func runW3PlainDictionary(events: Int) -> WorkloadResult {
  let start = ContinuousClock.now
  var sums: [Int64: Int64] = [:]
  for i in 0..<events {
    let event = w3Event(i)
    sums[event.key, default: 0] &+= event.value
  }
  var total: Int64 = 0
  for value in sums.values { total &+= value }
  return WorkloadResult(
    seconds: start.duration(to: .now).seconds, outputRecords: sums.count, outputSum: total)
}
