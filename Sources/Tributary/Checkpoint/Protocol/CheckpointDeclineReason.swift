/// Why a task declined a checkpoint instead of acknowledging it.
///
/// Guarantees: `countsAsFailure` follows Flink's `CheckpointFailureManager`:
/// only a real snapshot failure counts towards the tolerable consecutive
/// failures; declines that just mean "this checkpoint was overtaken or cannot
/// happen here" abort the checkpoint without counting.
public enum CheckpointDeclineReason: Sendable, Hashable, CustomStringConvertible {
  /// The task's snapshot (synchronous or asynchronous part) failed.
  case snapshotFailed(String)
  /// The task's barrier alignment was aborted by a newer barrier
  /// (`AlignmentAction.abortAlignment`).
  case subsumed
  /// The task was not running yet or already closing when triggered.
  case taskNotReady
  /// The task's inputs ended before the checkpoint could complete.
  case endOfInput

  /// Whether this decline counts towards `tolerableConsecutiveFailures`.
  public var countsAsFailure: Bool {
    if case .snapshotFailed = self { return true }
    return false
  }

  /// A one-line explanation.
  public var description: String {
    switch self {
    case .snapshotFailed(let message): return "snapshot failed: \(message)"
    case .subsumed: return "alignment overtaken by a newer checkpoint"
    case .taskNotReady: return "task not ready"
    case .endOfInput: return "inputs ended"
    }
  }
}
