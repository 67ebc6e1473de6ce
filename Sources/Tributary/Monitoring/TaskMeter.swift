import CoreMetrics
import Synchronization

/// Where one subtask of a vertex (a chain of operators run as one task) spent
/// its wall time: processing (busy), waiting for input (idle) or waiting for
/// room in a full output channel (backpressured), as Flink's busy, idle and
/// backpressured time.
///
/// The task's drivers book waits as they end (idle: waiting on the mailbox, a
/// source's back-off and rate-limit sleeps; backpressure: the router waiting on
/// a full channel), reading the clock only on those waiting paths, never per
/// record. Busy time is what is left of the wall time, so the three always
/// add up to the time the task ran. Thread-safe: relaxed atomics written by
/// the task, read by the monitor's sampler.
final class TaskMeter: Sendable {
  /// Wall nanoseconds of finished runs of this subtask.
  private let finishedWallNanos = Atomic<Int64>(0)
  /// When the current run started (``MonitorClock`` nanoseconds), or
  /// ``notRunning``.
  private let runningSince = Atomic<Int64>(TaskMeter.notRunning)
  private static let notRunning = Int64.min
  /// Nanoseconds spent waiting for input.
  let idleNanos = Atomic<Int64>(0)
  /// Nanoseconds spent waiting on full output channels.
  let backpressureNanos = Atomic<Int64>(0)
  /// Whether the task's input is idle in event time (a source with nothing to
  /// read, or every input channel idle): 1, else 0.
  private let eventTimeIdle = Atomic<Int>(0)

  private let idleGauge: Gauge

  /// Registers `tributary_idle` for this subtask with `factory`.
  init(dimensions: [(String, String)], factory: any MetricsFactory) {
    idleGauge = Gauge(label: "tributary_idle", dimensions: dimensions, factory: factory)
    idleGauge.record(0)
  }

  /// A run of the task begins.
  func started(nanos: Int64 = MonitorClock.nanos()) {
    runningSince.store(nanos, ordering: .relaxed)
  }

  /// The run of the task ended (normally, failed or cancelled).
  func ended(nanos: Int64 = MonitorClock.nanos()) {
    let since = runningSince.exchange(Self.notRunning, ordering: .relaxed)
    if since != Self.notRunning { finishedWallNanos.add(max(0, nanos - since), ordering: .relaxed) }
  }

  /// The wall time the task has run so far, over all its runs.
  func wallNanos(at nanos: Int64) -> Int64 {
    let since = runningSince.load(ordering: .relaxed)
    return finishedWallNanos.load(ordering: .relaxed)
      + (since != Self.notRunning ? max(0, nanos - since) : 0)
  }

  /// The task waited `nanoseconds` for input.
  @inline(__always)
  func waitedForInput(_ nanoseconds: Int64) {
    if nanoseconds > 0 { idleNanos.add(nanoseconds, ordering: .relaxed) }
  }

  /// The task waited `nanoseconds` for room in a full output channel.
  @inline(__always)
  func waitedForOutput(_ nanoseconds: Int64) {
    if nanoseconds > 0 { backpressureNanos.add(nanoseconds, ordering: .relaxed) }
  }

  /// The task's input became idle (or active again) in event time.
  func eventTimeIdleness(_ idle: Bool) {
    eventTimeIdle.store(idle ? 1 : 0, ordering: .relaxed)
    idleGauge.record(idle ? 1 : 0)
  }

  /// Whether the task's input is idle in event time.
  var isEventTimeIdle: Bool { eventTimeIdle.load(ordering: .relaxed) == 1 }
}

/// The monotonic clock of the monitoring counters: nanoseconds since the
/// process first asked. Wall time, not the job's runtime clock, since the
/// counters report real time even when tests drive the runtime clock.
enum MonitorClock {
  private static let origin = ContinuousClock.now

  /// Nanoseconds since the origin (never negative).
  static func nanos() -> Int64 {
    let start = origin  // initialised before the clock is read, so the first reading is not negative
    return (ContinuousClock.now - start).nanoseconds
  }

  /// Nanoseconds from `start` (a ``nanos()`` reading) to now.
  @inline(__always)
  static func since(_ start: Int64) -> Int64 { nanos() - start }
}
