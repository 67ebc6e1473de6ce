import Synchronization
import Tributary

/// The bench's injected failure (thrown once by ``FailureInjector``).
struct InjectedFailure: Error, CustomStringConvertible {
  var description: String { "failure injected by tributary-bench recover" }
}

/// Watches the source positions of a recovery run: where each source subtask
/// was when the failure was injected, where it resumed after the restart, and
/// when it had caught up again. Thread-safe; shared by every
/// ``FailureInjector`` subtask of both runs (before and after the restart).
final class RecoveryProbe: Sendable {
  private struct State {
    var failRequested = false
    var failedAt: UInt64?
    /// Per source subtask: the highest event index that passed before the failure.
    var highest: [Int?]
    /// Per source subtask: the first event index after the restart.
    var resumedFrom: [Int?]
    var caughtUp: [Bool]
    var resumedAt: UInt64?
    var caughtUpAt: UInt64?
  }

  private let state: Mutex<State>
  /// The source parallelism (generator subtask `s` emits indices `s, s+p, …`).
  let parallelism: Int

  init(parallelism: Int) {
    self.parallelism = parallelism
    state = Mutex(
      State(
        highest: Array(repeating: nil, count: parallelism),
        resumedFrom: Array(repeating: nil, count: parallelism),
        caughtUp: Array(repeating: false, count: parallelism)))
  }

  /// Makes the next batch that reaches a ``FailureInjector`` of the first run throw.
  func requestFailure() { state.withLock { $0.failRequested = true } }

  /// Whether the failure was injected (operators created after it belong to the restarted run).
  var hasFailed: Bool { state.withLock { $0.failedAt != nil } }

  /// A batch with event indices `first...last` reached subtask `subtask` of
  /// the run before (`restarted == false`) or after the failure. Throws the
  /// injected failure when it was requested.
  func batch(subtask: Int, first: Int, last: Int, restarted: Bool) throws {
    let now = monotonicNanos()
    let fail: Bool = state.withLock { s in
      if !restarted {
        guard s.failedAt == nil else { return false }  // the failed run winding down
        if s.failRequested {
          s.failedAt = now
          return true
        }
        s.highest[subtask] = max(s.highest[subtask] ?? last, last)
        return false
      }
      if s.resumedFrom[subtask] == nil {
        s.resumedFrom[subtask] = first
        if s.resumedAt == nil { s.resumedAt = now }
      }
      if last >= (s.highest[subtask] ?? -1) { s.caughtUp[subtask] = true }
      if s.caughtUpAt == nil, s.caughtUp.allSatisfy({ $0 }) { s.caughtUpAt = now }
      return false
    }
    if fail { throw InjectedFailure() }
  }

  /// When the failure was injected (monotonic nanoseconds), if it was.
  var failedAt: UInt64? { state.withLock { $0.failedAt } }

  /// Whether every source subtask is back where it was at the failure.
  var caughtUp: Bool { state.withLock { $0.caughtUpAt != nil } }

  /// What the recovery cost, once caught up: events emitted before the
  /// failure, events emitted again, and failure-to-resume and
  /// failure-to-caught-up times in milliseconds.
  var measurement:
    (eventsBeforeFailure: Int, eventsReplayed: Int, sourcesResumedMs: Double, catchUpMs: Double)?
  {
    state.withLock { s in
      guard let failedAt = s.failedAt, let resumedAt = s.resumedAt, let caughtUpAt = s.caughtUpAt
      else { return nil }
      var before = 0
      var replayed = 0
      for subtask in 0..<parallelism {
        guard let highest = s.highest[subtask] else { continue }
        before += (highest - subtask) / parallelism + 1
        let resumed = s.resumedFrom[subtask] ?? highest + parallelism
        if highest >= resumed { replayed += (highest - resumed) / parallelism + 1 }
      }
      return (
        before, replayed, Double(resumedAt - failedAt) / 1e6, Double(caughtUpAt - failedAt) / 1e6
      )
    }
  }
}

/// Passes events through unchanged and reports each batch's event indices to
/// a ``RecoveryProbe``, throwing the injected failure when it is due. Chained
/// right after the source, so it sees the source's positions.
final class FailureInjector: StreamOperator {
  typealias Input = CanonicalEvent
  typealias Output = CanonicalEvent
  let probe: RecoveryProbe
  let subtask: Int
  let restarted: Bool
  let index: @Sendable (CanonicalEvent) -> Int

  init(probe: RecoveryProbe, subtask: Int, index: @escaping @Sendable (CanonicalEvent) -> Int) {
    self.probe = probe
    self.subtask = subtask
    self.index = index
    restarted = probe.hasFailed
  }

  func processBatch(_ batch: [CanonicalEvent], into output: inout [CanonicalEvent]) throws {
    if let first = batch.first, let last = batch.last {
      try probe.batch(
        subtask: subtask, first: index(first), last: index(last), restarted: restarted)
    }
    output = batch
  }
}

extension DataStream where T == CanonicalEvent {
  /// Adds a ``FailureInjector`` after this source when `probe` is set.
  func injectingFailures(
    _ probe: RecoveryProbe?, index: @escaping @Sendable (CanonicalEvent) -> Int
  ) -> DataStream<CanonicalEvent> {
    guard let probe else { return self }
    return transform("FailureInjector") { context in
      OperatorKernel(FailureInjector(probe: probe, subtask: context.subtaskIndex, index: index))
    }
  }
}
