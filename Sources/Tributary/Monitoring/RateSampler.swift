import DequeModule

/// Turns cumulative counters, read about once a second, into per-second
/// rates, busy/idle/backpressure ratios and a throughput history. A pure
/// value: time comes in with each reading.
///
/// Guarantees: rates and ratios are over the time between the last two
/// readings (0 before there are two); ratios are in 0...1 and, per subtask,
/// busy + idle + backpressure = 1 whenever the subtask ran in the period
/// (all 0 when it did not); the history keeps the last `historyCapacity`
/// samples, oldest first.
struct RateSampler: Sendable {
  /// Cumulative counters of one subtask at one moment.
  struct SubtaskReading: Sendable, Equatable {
    var recordsIn: Int64 = 0
    var recordsOut: Int64 = 0
    var idleNanos: Int64 = 0
    var backpressureNanos: Int64 = 0
    /// Wall nanoseconds the subtask has run.
    var wallNanos: Int64 = 0
  }

  /// Cumulative counters at one moment.
  struct Reading: Sendable {
    /// Per vertex, per subtask.
    var vertices: [[SubtaskReading]]
    /// Records the sources emitted and the sinks received, in total.
    var sourceOut: Int64
    var sinkIn: Int64
  }

  /// Rates and ratios of one subtask over the last period.
  struct SubtaskRates: Sendable, Equatable {
    var inPerSecond = 0.0
    var outPerSecond = 0.0
    var busy = 0.0
    var idle = 0.0
    var backpressure = 0.0
  }

  let historyCapacity: Int
  private var last: (nanos: Int64, reading: Reading)?
  /// Per vertex, per subtask.
  private(set) var rates: [[SubtaskRates]] = []
  private(set) var history: Deque<ThroughputSample> = []

  init(historyCapacity: Int) { self.historyCapacity = max(1, historyCapacity) }

  /// Books `reading` taken at monotonic `nanos` (wall clock `wallMillis`).
  /// A reading no later than the previous one is ignored.
  mutating func sample(_ reading: Reading, nanos: Int64, wallMillis: Int64) {
    guard let last else {
      rates = reading.vertices.map { Array(repeating: SubtaskRates(), count: $0.count) }
      self.last = (nanos, reading)
      return
    }
    guard nanos > last.nanos else { return }
    defer { self.last = (nanos, reading) }
    let seconds = Double(nanos - last.nanos) / 1e9
    func rate(_ now: Int64, _ before: Int64) -> Double { max(0, Double(now - before) / seconds) }
    rates = reading.vertices.enumerated().map { v, subtasks in
      subtasks.enumerated().map { s, now in
        let before =
          v < last.reading.vertices.count && s < last.reading.vertices[v].count
          ? last.reading.vertices[v][s] : SubtaskReading()
        return Self.rates(now: now, before: before, seconds: seconds)
      }
    }
    history.append(
      ThroughputSample(
        timeMs: wallMillis, sourceRecordsPerSecond: rate(reading.sourceOut, last.reading.sourceOut),
        sinkRecordsPerSecond: rate(reading.sinkIn, last.reading.sinkIn)))
    if history.count > historyCapacity { history.removeFirst() }
  }

  /// The rates and ratios between two readings `seconds` apart.
  static func rates(now: SubtaskReading, before: SubtaskReading, seconds: Double) -> SubtaskRates {
    var rates = SubtaskRates()
    rates.inPerSecond = max(0, Double(now.recordsIn - before.recordsIn) / seconds)
    rates.outPerSecond = max(0, Double(now.recordsOut - before.recordsOut) / seconds)
    let wall = Double(now.wallNanos - before.wallNanos)
    guard wall > 0 else { return rates }
    let idle = min(1, max(0, Double(now.idleNanos - before.idleNanos) / wall))
    let backpressure = min(
      1 - idle, max(0, Double(now.backpressureNanos - before.backpressureNanos) / wall))
    rates.idle = idle
    rates.backpressure = backpressure
    rates.busy = max(0, 1 - idle - backpressure)
    return rates
  }
}
