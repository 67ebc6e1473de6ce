import Synchronization
import Tributary

/// Sums of a W1 run, merged from every sink subtask.
final class W1Totals: Sendable {
  let state = Mutex<(records: Int, sum: Int64)>((0, 0))
}

/// Counts and sums the mapped values of one subtask, merging into the totals at the end.
final class W1Sink: StreamSink {
  typealias Input = Int64
  let totals: W1Totals
  var records = 0
  var sum: Int64 = 0
  init(totals: W1Totals) { self.totals = totals }
  func write(_ batch: [Int64]) throws {
    records += batch.count
    var s: Int64 = 0
    for v in batch { s &+= v }
    sum &+= s
  }
  func finish() throws {
    let (records, sum) = (self.records, self.sum)
    totals.state.withLock {
      $0.records += records
      $0.sum &+= sum
    }
  }
}

/// W1 (stateless): generator → filter value != 0 → map value * 2 → counting sink.
func runW1(events: Int, parallelism: Int, checkpointing: CheckpointingConfiguration?)
  async throws -> WorkloadResult
{
  let env = benchEnvironment(
    parallelism: parallelism, backend: .heap, checkpointing: checkpointing)
  let totals = W1Totals()
  env.generate(count: events) { CanonicalEvent.make($0) }
    .filter { $0.value != 0 }
    .map { $0.value * 2 }
    .sink(name: "CountingSink") { _ in W1Sink(totals: totals) }
  let result = try await env.execute()
  let (records, sum) = totals.state.withLock { $0 }
  return WorkloadResult(
    seconds: result.duration.seconds, outputRecords: records, outputSum: sum,
    extra: result.checkpointFields)
}

/// The same work as W1 in a plain single-threaded loop: the yardstick.
func runW1PlainLoop(events: Int) -> WorkloadResult {
  let start = ContinuousClock.now
  var records = 0
  var sum: Int64 = 0
  for i in 0..<events {
    let event = CanonicalEvent.make(i)
    if event.value != 0 {
      records += 1
      sum &+= event.value * 2
    }
  }
  return WorkloadResult(
    seconds: start.duration(to: .now).seconds, outputRecords: records, outputSum: sum)
}
