import Foundation
import Synchronization
import Tributary

/// One key's final sum in W3.
struct KeySum: Sendable {
  var key: Int64
  var sum: Int64
}

/// W3's keyed function: per event, read the key's sum, add the value, write it
/// back; at end of input emit one `(key, sum)` per key.
struct W3RunningSum: KeyedProcessFunction {
  let report: W3Report
  var sum: ValueState<Int64>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    sum = try context.state(ValueStateDescriptor<Int64>("sum"))
  }

  mutating func processElement(
    _ event: CanonicalEvent, context: KeyedContext<Int64>, out: inout Collector<KeySum>
  ) throws {
    try sum.update((try sum.value() ?? 0) &+ event.value)
  }

  mutating func endOfInput(context: KeyedContext<Int64>, out: inout Collector<KeySum>) throws {
    report.addBytesOnDisk(try context.stateBackend.bytesOnDisk())
    let sum = self.sum!
    try context.forEachKey(of: sum) { key in out.emit(KeySum(key: key, sum: try sum.value()!)) }
  }
}

/// Totals merged from every subtask of a W3 run.
final class W3Report: Sendable {
  private let state = Mutex<(records: Int, sum: Int64, bytesOnDisk: Int)>((0, 0, 0))
  func addBytesOnDisk(_ bytes: Int) { state.withLock { $0.bytesOnDisk += bytes } }
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

/// W3 (per-event keyed state) on the chosen backend.
func runW3(
  events: Int, parallelism: Int, backend: StateBackendConfiguration,
  checkpointing: CheckpointingConfiguration?
) async throws -> WorkloadResult {
  let env = benchEnvironment(
    parallelism: parallelism, backend: backend, checkpointing: checkpointing)
  let report = W3Report()
  env.generate(count: events) { w3Event($0) }
    .keyBy { $0.key }
    .process(name: "RunningSum", W3RunningSum(report: report))
    .sink(name: "SumSink") { (batch: [KeySum]) in report.add(batch) }
  let result = try await env.execute()
  let totals = report.totals
  var extra = result.checkpointFields
  if backend.kind == .rocksdb { extra["state_bytes_on_disk"] = .int(totals.bytesOnDisk) }
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: totals.records, outputSum: totals.sum,
    extra: extra)
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
