/// What a job does when a task fails: give up, or restart all tasks from the
/// latest complete checkpoint (which needs checkpointing on).
public enum RestartStrategy: Sendable, Equatable {
  /// Fail the job at the first failure.
  case none
  /// Restart up to `attempts` times, waiting `delay` before each restart.
  case fixedDelay(attempts: Int, delay: Duration)
  /// Restart up to `attempts` times, waiting `initial`, then twice as long each
  /// time, at most `maximum`.
  case exponentialBackoff(initial: Duration, maximum: Duration, attempts: Int)

  /// The wait before restart number `attempt` (1-based), or `nil` when no
  /// restart is left.
  public func delay(beforeRestart attempt: Int) -> Duration? {
    switch self {
    case .none:
      return nil
    case .fixedDelay(let attempts, let delay):
      return attempt <= attempts ? delay : nil
    case .exponentialBackoff(let initial, let maximum, let attempts):
      guard attempt <= attempts else { return nil }
      var wait = initial
      for _ in 1..<attempt { wait = min(maximum, wait * 2) }
      return min(wait, maximum)
    }
  }
}
