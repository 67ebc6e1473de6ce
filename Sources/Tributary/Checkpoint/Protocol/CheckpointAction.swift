/// What the checkpoint coordinator asks its actor to do, in list order.
///
/// Guarantees (of the coordinator that returns them): for every checkpoint id
/// handed out in `.triggerSources`, exactly one of `.notifyComplete` or
/// `.abort` follows eventually (unless `.failJob` ends the job first);
/// `.commitMetadata` comes at most once per id and always before its
/// `.notifyComplete`; `.notifyComplete` never comes before the actor reported
/// `storageCompleted` for that id.
public enum CheckpointAction: Sendable, Hashable, CustomStringConvertible {
  /// Tell every source task to snapshot its position and emit barrier
  /// `checkpoint` in-band.
  case triggerSources(checkpoint: Int64, isSavepoint: Bool)
  /// Every task acknowledged: write the checkpoint's metadata atomically,
  /// then report `storageCompleted` or `storageFailed`.
  case commitMetadata(checkpoint: Int64, acknowledgements: [TaskID: TaskCheckpointStats])
  /// The checkpoint is complete and durable: tell operators and sinks
  /// (two-phase-commit sinks commit now).
  case notifyComplete(checkpoint: Int64)
  /// The checkpoint failed or is no longer needed: tell tasks to drop it and
  /// remove its files. Processing goes on.
  case abort(checkpoint: Int64, reason: CheckpointFailureReason)
  /// More consecutive counted failures than tolerated: fail the job.
  case failJob(lastFailure: CheckpointFailureReason, consecutiveFailures: Int)
  /// Delete completed checkpoints (not savepoints) except the newest
  /// `keepLatest`.
  case retain(keepLatest: Int)

  /// A one-line rendering for logs.
  public var description: String {
    switch self {
    case .triggerSources(let id, let isSavepoint):
      return "trigger \(isSavepoint ? "savepoint" : "checkpoint") \(id)"
    case .commitMetadata(let id, let acks):
      return "commit metadata of checkpoint \(id) (\(acks.count) acknowledgements)"
    case .notifyComplete(let id):
      return "checkpoint \(id) complete"
    case .abort(let id, let reason):
      return "abort checkpoint \(id): \(reason)"
    case .failJob(let last, let count):
      return "failing job after \(count) consecutive checkpoint failures;"
        + " last: \(last) (raise tolerableConsecutiveFailures to tolerate more)"
    case .retain(let keep):
      return "retain the latest \(keep) checkpoints"
    }
  }
}
