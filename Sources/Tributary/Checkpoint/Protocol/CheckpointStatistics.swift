/// A snapshot of the coordinator's checkpoint counters and summaries.
///
/// Guarantees: counters cover the coordinator's whole life; the summaries
/// cover the most recent completed checkpoints and savepoints, at most
/// `windowSize` of them (bounded memory for long-running jobs), and are all
/// computed over the same checkpoints.
public struct CheckpointStatistics: Sendable, Hashable {
  /// Checkpoints and savepoints that completed.
  public var completed: Int
  /// Checkpoints and savepoints that were aborted, for any reason (including
  /// subsumption and finished tasks).
  public var failed: Int
  /// Counted failures since the last completion (see
  /// `CheckpointFailureReason.countsAsFailure`).
  public var consecutiveFailures: Int
  /// Checkpoints and savepoints triggered and not yet complete or aborted.
  public var inProgress: Int
  /// The most recently completed checkpoint or savepoint.
  public var latest: CompletedCheckpointStats?
  /// The most completed checkpoints the summaries below cover.
  public var windowSize: Int
  /// Trigger-to-complete durations.
  public var duration: CheckpointStatsSummary
  /// Per checkpoint, the longest synchronous pause of any task.
  public var maxSyncPause: CheckpointStatsSummary
  /// Per checkpoint, the longest barrier alignment of any task.
  public var maxAlignment: CheckpointStatsSummary
  /// Per checkpoint, the bytes written by all tasks.
  public var bytes: CheckpointStatsSummary

  /// Creates a snapshot from counters and the recent completed checkpoints.
  public init(
    completed: Int, failed: Int, consecutiveFailures: Int, inProgress: Int,
    windowSize: Int, recent: [CompletedCheckpointStats]
  ) {
    self.completed = completed
    self.failed = failed
    self.consecutiveFailures = consecutiveFailures
    self.inProgress = inProgress
    self.windowSize = windowSize
    latest = recent.last
    duration = CheckpointStatsSummary(recent.lazy.map(\.durationMillis))
    maxSyncPause = CheckpointStatsSummary(recent.lazy.map(\.maxSyncDurationMillis))
    maxAlignment = CheckpointStatsSummary(recent.lazy.map(\.maxAlignmentMillis))
    bytes = CheckpointStatsSummary(recent.lazy.map(\.totalBytes))
  }
}
