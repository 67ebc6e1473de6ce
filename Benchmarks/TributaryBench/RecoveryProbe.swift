import Synchronization
import Tributary

/// The bench's injected failure (thrown once per request by ``FailureInjector``).
struct InjectedFailure: Error, CustomStringConvertible {
  var description: String { "failure injected by tributary-bench recover" }
}

/// Watches the source positions of a recovery run through any number of
/// injected failures: for each, where each source subtask was when the
/// failure was injected, where it resumed after the restart, and when it had
/// caught up again. Thread-safe; shared by every ``FailureInjector`` subtask
/// of every run (before and after each restart).
final class RecoveryProbe: Sendable {
  /// What one recovery cost.
  struct Measurement: Sendable {
    var eventsBeforeFailure: Int
    var eventsReplayed: Int
    var sourcesResumedMs: Double
    var catchUpMs: Double
  }

  private struct Round {
    var failRequested = false
    var failedAt: UInt64?
    /// Per source subtask: the highest event index that passed before the failure.
    var highest: [Int?]
    /// Per source subtask: the first event index after the restart.
    var resumedFrom: [Int?]
    var caughtUp: [Bool]
    var resumedAt: UInt64?

    init(parallelism: Int) {
      highest = Array(repeating: nil, count: parallelism)
      resumedFrom = Array(repeating: nil, count: parallelism)
      caughtUp = Array(repeating: false, count: parallelism)
    }
  }

  private struct State {
    /// Failures injected so far: the run started after failure k has generation k.
    var generation = 0
    var round: Round
    var completed: [Measurement] = []
  }

  private let state: Mutex<State>
  /// The source parallelism (generator subtask `s` emits indices `s, s+p, …`).
  let parallelism: Int

  init(parallelism: Int) {
    self.parallelism = parallelism
    state = Mutex(State(round: Round(parallelism: parallelism)))
  }

  /// Makes the next batch that reaches a ``FailureInjector`` of the current run throw.
  func requestFailure() { state.withLock { $0.round.failRequested = true } }

  /// How many failures were injected (the generation of the current run).
  var generation: Int { state.withLock { $0.generation } }

  /// A batch with event indices `first...last` reached subtask `subtask` of
  /// the run of `generation`. Throws the injected failure when it was requested.
  func batch(subtask: Int, first: Int, last: Int, generation: Int) throws {
    let now = monotonicNanos()
    let fail: Bool = state.withLock { s in
      guard generation == s.generation else { return false }  // a failed run winding down
      if s.round.failedAt == nil {
        if s.round.failRequested {
          s.round.failedAt = now
          s.generation += 1
          return true
        }
        s.round.highest[subtask] = max(s.round.highest[subtask] ?? last, last)
        return false
      }
      if s.round.resumedFrom[subtask] == nil {
        s.round.resumedFrom[subtask] = first
        if s.round.resumedAt == nil { s.round.resumedAt = now }
      }
      if last >= (s.round.highest[subtask] ?? -1) { s.round.caughtUp[subtask] = true }
      if s.round.caughtUp.allSatisfy({ $0 }), let failedAt = s.round.failedAt,
        let resumedAt = s.round.resumedAt
      {
        s.completed.append(Self.measure(s.round, parallelism, failedAt, resumedAt, now))
        s.round = Round(parallelism: parallelism)
      }
      return false
    }
    if fail { throw InjectedFailure() }
  }

  private static func measure(
    _ round: Round, _ parallelism: Int, _ failedAt: UInt64, _ resumedAt: UInt64,
    _ caughtUpAt: UInt64
  ) -> Measurement {
    var before = 0
    var replayed = 0
    for subtask in 0..<parallelism {
      guard let highest = round.highest[subtask] else { continue }
      before += (highest - subtask) / parallelism + 1
      let resumed = round.resumedFrom[subtask] ?? highest + parallelism
      if highest >= resumed { replayed += (highest - resumed) / parallelism + 1 }
    }
    return Measurement(
      eventsBeforeFailure: before, eventsReplayed: replayed,
      sourcesResumedMs: Double(resumedAt - failedAt) / 1e6,
      catchUpMs: Double(caughtUpAt - failedAt) / 1e6)
  }

  /// When the pending failure was injected (monotonic nanoseconds), if it was
  /// and the job has not caught up since.
  var failedAt: UInt64? { state.withLock { $0.round.failedAt } }

  /// How many recoveries are complete (every source subtask back where it was).
  var recoveries: Int { state.withLock { $0.completed.count } }

  /// What each completed recovery cost, in order.
  var measurements: [Measurement] { state.withLock { $0.completed } }
}

/// Passes events through unchanged and reports each batch's event indices to
/// a ``RecoveryProbe``, throwing the injected failure when it is due. Chained
/// right after the source, so it sees the source's positions.
final class FailureInjector: StreamOperator {
  typealias Input = CanonicalEvent
  typealias Output = CanonicalEvent
  let probe: RecoveryProbe
  let subtask: Int
  /// The run this operator belongs to (failures injected before it was made).
  let generation: Int
  let index: @Sendable (CanonicalEvent) -> Int

  init(probe: RecoveryProbe, subtask: Int, index: @escaping @Sendable (CanonicalEvent) -> Int) {
    self.probe = probe
    self.subtask = subtask
    self.index = index
    generation = probe.generation
  }

  func processBatch(_ batch: [CanonicalEvent], into output: inout [CanonicalEvent]) throws {
    if let first = batch.first, let last = batch.last {
      try probe.batch(
        subtask: subtask, first: index(first), last: index(last), generation: generation)
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
