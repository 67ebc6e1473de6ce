/// Why the coordinator aborted a checkpoint or savepoint.
///
/// Guarantees: `countsAsFailure` follows Flink's `CheckpointFailureManager`:
/// expiry, a decline caused by a real snapshot failure and a failed metadata
/// write count towards `tolerableConsecutiveFailures`; subsumption and
/// finished tasks never do. (Savepoint failures never count; the coordinator
/// checks that separately.)
public enum CheckpointFailureReason: Sendable, Hashable, CustomStringConvertible {
  /// Not every task acknowledged within `timeoutMillis` of the trigger.
  case expired(timeoutMillis: Int64)
  /// A task declined the checkpoint.
  case declined(task: TaskID, reason: CheckpointDeclineReason)
  /// Writing the checkpoint's metadata failed.
  case storageFailed(String)
  /// A newer checkpoint completed first; this one is no longer needed.
  case subsumed(by: Int64)
  /// A task finished, so it cannot acknowledge this checkpoint (and, as
  /// documented on the coordinator, no further checkpoints are taken).
  case taskFinished(TaskID)

  /// Whether this failure counts towards `tolerableConsecutiveFailures`.
  public var countsAsFailure: Bool {
    switch self {
    case .expired, .storageFailed: return true
    case .declined(_, let reason): return reason.countsAsFailure
    case .subsumed, .taskFinished: return false
    }
  }

  /// A one-line explanation that names the task or limit involved.
  public var description: String {
    switch self {
    case .expired(let timeout):
      return "expired: not all tasks acknowledged within \(timeout) ms"
        + " (raise the checkpoint timeout or look for backpressure)"
    case .declined(let task, let reason):
      return "declined by task \(task): \(reason)"
    case .storageFailed(let message):
      return "writing checkpoint metadata failed: \(message)"
    case .subsumed(let newer):
      return "subsumed by completed checkpoint \(newer)"
    case .taskFinished(let task):
      return "task \(task) finished before it took part in this checkpoint"
    }
  }
}
