import Synchronization
import Tributary

/// W4's keyed two-input function: both inputs add their event's value to the
/// key's `ValueState<Int64>` sum; at end of input one `(key, sum)` per key.
struct W4RunningSum: KeyedCoProcessFunction {
  var sum: ValueState<Int64>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    sum = try context.state(ValueStateDescriptor<Int64>("sum"))
  }

  mutating func processElement1(
    _ event: CanonicalEvent, context: KeyedContext<Int64>, out: inout Collector<KeySum>
  ) throws {
    try sum.update((try sum.value() ?? 0) &+ event.value)
  }

  mutating func processElement2(
    _ event: CanonicalEvent, context: KeyedContext<Int64>, out: inout Collector<KeySum>
  ) throws {
    try sum.update((try sum.value() ?? 0) &+ event.value)
  }

  mutating func endOfInput(context: KeyedContext<Int64>, out: inout Collector<KeySum>) throws {
    let sum = self.sum!
    try context.forEachKey(of: sum) { key in out.emit(KeySum(key: key, sum: try sum.value()!)) }
  }
}

/// W4 (two inputs): the canonical events with even `i` on input 1 and odd
/// `i` on input 2, both keyed by `key`, connected into ``W4RunningSum``.
/// `output_records` is 10,000 (one per key), `output_sum` the sum of all values.
func runW4(
  events: Int, parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?
) async throws -> WorkloadResult {
  let env = benchEnvironment(
    parallelism: parallelism, backend: backend, checkpointing: checkpointing)
  let report = W3Report()
  let even = env.generate(count: (events + 1) / 2, name: "EvenEvents") {
    CanonicalEvent.make(2 * $0)
  }
  let odd = env.generate(count: events / 2, name: "OddEvents") {
    CanonicalEvent.make(2 * $0 + 1)
  }
  even.keyBy { $0.key }
    .connect(odd.keyBy { $0.key })
    .process(name: "RunningSum", W4RunningSum())
    .sink(name: "SumSink") { (batch: [KeySum]) in report.add(batch) }
  let result = try await env.execute()
  let totals = report.totals
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: totals.records, outputSum: totals.sum,
    extra: result.checkpointFields)
}

/// W4 in a plain single-threaded loop over a Swift dictionary (both inputs
/// interleaved, as one loop over all events): the yardstick.
func runW4PlainDictionary(events: Int) -> WorkloadResult {
  let start = ContinuousClock.now
  var sums: [Int64: Int64] = [:]
  for i in 0..<events {
    let event = CanonicalEvent.make(i)
    sums[event.key, default: 0] &+= event.value
  }
  var total: Int64 = 0
  for value in sums.values { total &+= value }
  return WorkloadResult(
    seconds: start.duration(to: .now).seconds, outputRecords: sums.count, outputSum: total)
}
