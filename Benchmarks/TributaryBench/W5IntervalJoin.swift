import Synchronization
import Tributary

extension CanonicalEvent: BinaryCodable {
  /// The three fields in order, 8 bytes each.
  func encode(to writer: inout BinaryWriter) {
    key.encode(to: &writer)
    timestampMs.encode(to: &writer)
    value.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> CanonicalEvent {
    CanonicalEvent(
      key: try Int64.decode(from: &reader), timestampMs: try Int64.decode(from: &reader),
      value: try Int64.decode(from: &reader))
  }
}

/// W5's event `i`: `key = (i / 2) % 10_000`, `timestamp_ms = i / 1_000`,
/// `value = i % 100` (left: even `i`, right: odd `i`, so `2j` and `2j + 1`
/// share key `j % 10_000`).
@inline(__always)
func w5Event(_ i: Int) -> CanonicalEvent {
  CanonicalEvent(key: Int64((i / 2) % 10_000), timestampMs: Int64(i / 1_000), value: Int64(i % 100))
}

/// W5's interval bounds (ms): `right.timestamp ∈ [left.timestamp - 5, left.timestamp + 5]`.
let w5Lower: Int64 = -5
let w5Upper: Int64 = 5

/// Counts and sums W5's outputs over all sink subtasks.
final class W5Report: Sendable {
  private let state = Mutex<(records: Int, sum: Int64)>((0, 0))
  func add(_ batch: [Int64]) {
    var sum: Int64 = 0
    for value in batch { sum &+= value }
    state.withLock {
      $0.records += batch.count
      $0.sum &+= sum
    }
  }
  var totals: (records: Int, sum: Int64) { state.withLock { $0 } }
}

/// W5 (interval join): even `i` on the left, odd `i` on the right, both keyed
/// by `key`, joined `between(-5 ms, +5 ms)` emitting `left.value + right.value`.
/// Reports the peak number of records buffered in the join's state.
func runW5(
  events: Int, parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?
) async throws -> WorkloadResult {
  let env = benchEnvironment(
    parallelism: parallelism, backend: backend, checkpointing: checkpointing)
  let report = W5Report()
  let meter = IntervalJoinStateMeter()
  let strategy = WatermarkStrategy<CanonicalEvent>.monotonic { $0.timestampMs }
    .withInterval(.milliseconds(10))
  let left = env.generate(count: (events + 1) / 2, name: "LeftEvents") { w5Event(2 * $0) }
    .assignTimestampsAndWatermarks(strategy)
  let right = env.generate(count: events / 2, name: "RightEvents") { w5Event(2 * $0 + 1) }
    .assignTimestampsAndWatermarks(strategy)
  left.keyBy { $0.key }
    .intervalJoin(right.keyBy { $0.key })
    .between(.milliseconds(w5Lower), .milliseconds(w5Upper))
    .process(name: "IntervalJoin", meter: meter) { (l, r, _, out: inout Collector<Int64>) in
      out.emit(l.value + r.value)
    }
    .sink(name: "JoinSink") { (batch: [Int64]) in report.add(batch) }
  let result = try await env.execute()
  let totals = report.totals
  var extra = result.checkpointFields
  extra["peak_state_entries"] = .int(meter.peak)
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: totals.records, outputSum: totals.sum,
    extra: extra)
}

/// W5 as a plain single-threaded Swift hash join: one loop over all events
/// in index order (timestamps never decrease), a dictionary per side from key
/// to the records still within the interval; both the reference the engine's
/// output is checked against and the yardstick. Reports its own peak of
/// buffered records as `peak_state_entries`.
func runW5PlainHashJoin(events: Int) -> WorkloadResult {
  let start = ContinuousClock.now
  var lefts: [Int64: [CanonicalEvent]] = [:]
  var rights: [Int64: [CanonicalEvent]] = [:]
  var records = 0
  var sum: Int64 = 0
  var buffered = 0
  var peak = 0
  for i in 0..<events {
    let event = w5Event(i)
    let now = event.timestampMs
    // No later record (timestamp >= now) can join a record older than now - 5 ms.
    @inline(__always) func prune(_ list: inout [CanonicalEvent]) {
      let before = list.count
      list.removeAll { $0.timestampMs < now - max(w5Upper, -w5Lower) }
      buffered -= before - list.count
    }
    if i % 2 == 0 {
      prune(&rights[event.key, default: []])
      for r in rights[event.key]!
      where r.timestampMs - now >= w5Lower && r.timestampMs - now <= w5Upper {
        records += 1
        sum &+= event.value + r.value
      }
      prune(&lefts[event.key, default: []])
      lefts[event.key]!.append(event)
    } else {
      prune(&lefts[event.key, default: []])
      for l in lefts[event.key]!
      where now - l.timestampMs >= w5Lower && now - l.timestampMs <= w5Upper {
        records += 1
        sum &+= l.value + event.value
      }
      prune(&rights[event.key, default: []])
      rights[event.key]!.append(event)
    }
    buffered += 1
    peak = max(peak, buffered)
  }
  return WorkloadResult(
    seconds: start.duration(to: .now).seconds, outputRecords: records, outputSum: sum,
    extra: ["peak_state_entries": .int(peak)])
}
