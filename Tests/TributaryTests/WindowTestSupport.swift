import Foundation
import Synchronization
import Testing

@testable import Tributary

/// A timestamped, keyed record for window and timer tests. `n` is 1 for
/// every input record (so a reduce can count).
struct Reading: Codable, BinaryCodable, Sendable, Hashable, Comparable {
  var key: Int
  var ts: Int64
  var value: Int64
  var id: Int
  var n: Int64 = 1

  static func < (a: Reading, b: Reading) -> Bool { (a.key, a.ts, a.id) < (b.key, b.ts, b.id) }
}

/// (count, sum of values) of the records of one window.
struct CountSum: AggregateFunction {
  func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
  func add(_ value: Reading, to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(acc.first + 1, acc.second + value.value)
  }
  func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
  func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(a.first + b.first, a.second + b.second)
  }
}

/// One window result: key, window bounds, count and sum (and, for process
/// functions, the ids of the window's records, sorted).
struct WindowResult: Sendable, Hashable, Comparable, CustomStringConvertible {
  var key: Int
  var start: Int64
  var end: Int64
  var count: Int64
  var sum: Int64
  var ids: [Int] = []

  /// The same result without record ids (for outputs that do not carry them).
  var withoutIds: WindowResult {
    var result = self
    result.ids = []
    return result
  }

  static func < (a: WindowResult, b: WindowResult) -> Bool {
    if (a.key, a.start, a.end, a.count, a.sum) != (b.key, b.start, b.end, b.count, b.sum) {
      return (a.key, a.start, a.end, a.count, a.sum) < (b.key, b.start, b.end, b.count, b.sum)
    }
    return a.ids.lexicographicallyPrecedes(b.ids)
  }

  var description: String {
    "k\(key)[\(start),\(end)) c=\(count) s=\(sum)" + (ids.isEmpty ? "" : " ids=\(ids.count)")
  }
}

/// Generated out-of-order data: record `i` has nominal time `i * step` and is
/// delayed by a random amount in `0..<bound` (strictly below the watermark
/// bound, so no record is ever late for a window, nor exactly bridges a
/// session that already fired).
func outOfOrderReadings(
  count: Int, keys: Int, step: Int64, bound: Int64, seed: UInt64, start: Int64 = 1_000
) -> [Reading] {
  var rng = SplitMix64(seed: seed)
  var readings: [Reading] = []
  readings.reserveCapacity(count)
  for i in 0..<count {
    let delay = Int64(rng.next() % UInt64(bound))
    let key = Int(rng.next() % UInt64(keys))
    let value = Int64(rng.next() % 1_000)
    readings.append(Reading(key: key, ts: start + Int64(i) * step - delay, value: value, id: i))
  }
  return readings
}

/// Independent expectation: groups `readings` per key and window, where
/// `windows(ts)` lists the `[start, end)` windows of a timestamp.
func expectedWindows(
  _ readings: [Reading], withIds: Bool, windows: (Int64) -> [(Int64, Int64)]
) -> [WindowResult] {
  struct WindowKey: Hashable {
    var key: Int
    var start: Int64
    var end: Int64
  }
  var groups: [WindowKey: [Reading]] = [:]
  for r in readings {
    for (s, e) in windows(r.ts) {
      groups[WindowKey(key: r.key, start: s, end: e), default: []].append(r)
    }
  }
  return groups.map { k, rs in
    WindowResult(
      key: k.key, start: k.start, end: k.end, count: Int64(rs.count),
      sum: rs.reduce(0) { $0 + $1.value }, ids: withIds ? rs.map(\.id).sorted() : [])
  }
}

/// Independent expectation of session windows: per key, sorted timestamps
/// split where consecutive ones are more than `gap` apart; a session spans
/// `[first, last + gap)`.
func expectedSessions(_ readings: [Reading], gap: Int64, withIds: Bool) -> [WindowResult] {
  var results: [WindowResult] = []
  for (key, rs) in Dictionary(grouping: readings, by: \.key) {
    let sorted = rs.sorted { ($0.ts, $0.id) < ($1.ts, $1.id) }
    var current: [Reading] = []
    func close() {
      guard let first = current.first, let last = current.last else { return }
      results.append(
        WindowResult(
          key: key, start: first.ts, end: last.ts + gap, count: Int64(current.count),
          sum: current.reduce(0) { $0 + $1.value },
          ids: withIds ? current.map(\.id).sorted() : []))
      current = []
    }
    for r in sorted {
      if let last = current.last, r.ts - last.ts > gap { close() }
      current.append(r)
    }
    close()
  }
  return results
}

extension StreamEnvironment {
  /// A source whose subtask `s` emits `perSubtask(s)` (in order), then stays
  /// open without emitting anything until the job is cancelled.
  func lingeringSource<T: Sendable>(
    name: String = "Lingering", _ perSubtask: @escaping @Sendable (Int) -> [T]
  ) -> DataStream<T> {
    let factory: SourceFactory<T> = { context in
      let records = perSubtask(context.subtaskIndex)
      var next = 0
      return SourceReader { buffer, limit in
        let end = min(records.count, next + limit)
        if next < end { buffer.append(contentsOf: records[next..<end]) }
        next = end
        return .more
      }
    }
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: nil))
    return DataStream(environment: self, node: node)
  }
}

extension StreamEnvironment {
  /// An unbounded source: subtask `s` emits `make(s, i)` for i = 0, 1, … one
  /// record every `intervalMillis` of wall-clock time, until `make` returns
  /// `nil`; then it stays open, emitting nothing, until the job is cancelled.
  func pacedSource<T: Sendable>(
    name: String = "Paced", intervalMillis: Int, _ make: @escaping @Sendable (Int, Int) -> T?
  ) -> DataStream<T> {
    let factory: SourceFactory<T> = { context in
      let subtask = context.subtaskIndex
      let start = ContinuousClock.now
      var next = 0
      var done = false
      return SourceReader { buffer, limit in
        guard !done else { return .more }
        let elapsed = ContinuousClock.now - start
        let due = Int(elapsed / .milliseconds(intervalMillis)) + 1
        while next < due && buffer.count < limit {
          guard let record = make(subtask, next) else {
            done = true
            break
          }
          buffer.append(record)
          next += 1
        }
        return .more
      }
    }
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: nil))
    return DataStream(environment: self, node: node)
  }
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass; returns whether it held.
func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
  let deadline = ContinuousClock.now + .seconds(seconds)
  while ContinuousClock.now < deadline {
    if condition() { return true }
    try await Task.sleep(for: .milliseconds(5))
  }
  return condition()
}

/// Cancels a running job and waits for it to stop; it must end by cancellation.
func cancelJob(
  _ job: Task<JobResult, any Error>, sourceLocation: SourceLocation = #_sourceLocation
) async {
  job.cancel()
  do {
    _ = try await job.value
    Issue.record("job ended without being cancelled", sourceLocation: sourceLocation)
  } catch is CancellationError {
  } catch {
    Issue.record("job failed: \(error)", sourceLocation: sourceLocation)
  }
}

/// Heap and RocksDB (4 KiB cache) at parallelism 1 and 2.
let windowBackendCases: [(StateConfig, Int)] = [
  (.heap, 1), (.heap, 2), (.rocksTinyCache, 1), (.rocksTinyCache, 2),
]
