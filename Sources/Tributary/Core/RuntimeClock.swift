import Synchronization

/// The runtime's monotonic clock: what flush timeouts, ticks, rate limits,
/// idle back-off, the checkpoint coordinator's intervals and timeouts, restart
/// delays and the job's statistics measure time with
/// (`JobConfiguration.runtimeClock`). Injected so that tests drive time
/// instead of sleeping: with a ``ManualRuntimeClock`` nothing in the runtime
/// waits for real time.
///
/// Processing time for timers, TTL and idleness is a separate clock
/// (``ProcessingClock``): a test can stop processing time and still let the
/// runtime run.
///
/// Implementations must be thread-safe: every task of a job calls them.
public protocol RuntimeClock: Sendable {
  /// Time since an arbitrary origin; never decreases.
  func now() -> Duration
  /// Suspends until ``now()`` reaches `deadline` (returns at once when it has).
  /// - Throws: `CancellationError` when the calling task is cancelled meanwhile.
  func sleep(until deadline: Duration) async throws
}

extension RuntimeClock {
  /// Suspends for `duration` of this clock's time.
  public func sleep(for duration: Duration) async throws {
    try await sleep(until: now() + duration)
  }
}

/// The machine's monotonic clock (`ContinuousClock`).
public struct SystemRuntimeClock: RuntimeClock {
  /// Creates the system clock.
  public init() {}
  public func now() -> Duration { systemRuntimeOrigin.duration(to: .now) }
  public func sleep(until deadline: Duration) async throws {
    try await Task.sleep(until: systemRuntimeOrigin + deadline, clock: .continuous)
  }
}

/// The origin of ``SystemRuntimeClock`` (the first use in the process).
private let systemRuntimeOrigin = ContinuousClock.now

/// A runtime clock that moves only when told to (``advance(by:)``); sleepers
/// wake when it passes their deadline. Thread-safe.
public final class ManualRuntimeClock: RuntimeClock {
  private struct State {
    var now: Duration = .zero
    var nextID = 0
    var sleepers: [Int: (deadline: Duration, continuation: CheckedContinuation<Void, any Error>)] =
      [:]
    var cancelled = Set<Int>()
  }
  private let state = Mutex(State())

  /// Creates a clock at time zero.
  public init() {}

  public func now() -> Duration { state.withLock { $0.now } }

  /// How many tasks are sleeping on this clock right now.
  public var sleepers: Int { state.withLock { $0.sleepers.count } }

  /// Moves the clock forward by `duration` and wakes every sleeper whose
  /// deadline it reached.
  public func advance(by duration: Duration) {
    let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
      s.now += duration
      let ready = s.sleepers.filter { $0.value.deadline <= s.now }
      for id in ready.keys { s.sleepers[id] = nil }
      return ready.values.map(\.continuation)
    }
    for continuation in due { continuation.resume() }
  }

  public func sleep(until deadline: Duration) async throws {
    let id: Int? = state.withLock { s in
      guard s.now < deadline else { return nil }
      s.nextID += 1
      return s.nextID
    }
    guard let id else { return }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Void, any Error>) in
        let outcome: Result<Void, any Error>? = state.withLock { s in
          if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
          if s.now >= deadline { return .success(()) }
          s.sleepers[id] = (deadline, continuation)
          return nil
        }
        if let outcome { continuation.resume(with: outcome) }
      }
    } onCancel: {
      let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
        if let sleeper = s.sleepers.removeValue(forKey: id) { return sleeper.continuation }
        s.cancelled.insert(id)  // not registered yet: refused when it registers
        return nil
      }
      continuation?.resume(throwing: CancellationError())
    }
  }
}
