import Synchronization

/// The source of processing time (wall-clock milliseconds) for TTL, timers
/// and idleness. Injected so that tests are deterministic.
public protocol ProcessingClock: Sendable {
  /// Milliseconds since the Unix epoch (or any fixed origin, for manual clocks).
  func nowMillis() -> Int64
}

/// The machine's real-time clock.
public struct SystemProcessingClock: ProcessingClock {
  /// Creates the system clock.
  public init() {}
  public func nowMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
  }
}

/// A clock that moves only when told to. Thread-safe.
public final class ManualProcessingClock: ProcessingClock {
  private let current: Mutex<Int64>
  /// Creates a clock showing `millis`.
  public init(millis: Int64 = 0) { current = Mutex(millis) }
  public func nowMillis() -> Int64 { current.withLock { $0 } }
  /// Moves the clock forward by `millis`.
  public func advance(by millis: Int64) { current.withLock { $0 += millis } }
  /// Sets the clock to `millis`.
  public func set(_ millis: Int64) { current.withLock { $0 = millis } }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
