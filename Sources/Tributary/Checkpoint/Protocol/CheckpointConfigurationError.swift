/// Why checkpoint settings or the coordinator's task sets were rejected.
///
/// Guarantees: every case carries the offending value, and `description` says
/// what is wrong and what to do about it.
public enum CheckpointConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The interval is below `CheckpointSettings.minimumIntervalMillis`.
  case intervalTooShort(Int64)
  /// The timeout is below `CheckpointSettings.minimumTimeoutMillis`.
  case timeoutTooShort(Int64)
  /// The minimum pause between checkpoints is negative.
  case negativeMinPause(Int64)
  /// `maxConcurrentCheckpoints` is below 1.
  case maxConcurrentCheckpointsBelowOne(Int)
  /// `retainedCheckpoints` is below 1.
  case retainedCheckpointsBelowOne(Int)
  /// `tolerableConsecutiveFailures` is negative.
  case negativeTolerableFailures(Int)
  /// No source task was given, so nothing could ever be triggered.
  case noSourceTasks
  /// A source task is not among the tasks that must acknowledge.
  case sourceNotAcknowledging(TaskID)
  /// The first checkpoint id is below 1.
  case firstCheckpointIDBelowOne(Int64)
  /// The recovery-time objective is not positive.
  case recoveryObjectiveNotPositive(Int64)
  /// The interval's minimum is above its maximum.
  case intervalBoundsInverted(minimum: Int64, maximum: Int64)

  /// What is wrong, and what to do.
  public var description: String {
    switch self {
    case .intervalTooShort(let value):
      return "checkpoint interval \(value) ms is too short: use at least"
        + " \(CheckpointSettings.minimumIntervalMillis) ms, or nil to turn checkpoints off"
    case .timeoutTooShort(let value):
      return "checkpoint timeout \(value) ms is too short: use at least"
        + " \(CheckpointSettings.minimumTimeoutMillis) ms"
    case .negativeMinPause(let value):
      return "minimum pause between checkpoints is \(value) ms: use 0 or more"
    case .maxConcurrentCheckpointsBelowOne(let value):
      return "max concurrent checkpoints is \(value): use 1 or more"
    case .retainedCheckpointsBelowOne(let value):
      return "retained checkpoints is \(value): keep at least 1 to be able to recover"
    case .negativeTolerableFailures(let value):
      return "tolerable consecutive checkpoint failures is \(value): use 0 or more"
    case .noSourceTasks:
      return "no source tasks: a checkpoint coordinator needs at least one source to trigger"
    case .sourceNotAcknowledging(let task):
      return "source task \(task) is not among the tasks that acknowledge checkpoints:"
        + " include every source in the task set"
    case .firstCheckpointIDBelowOne(let value):
      return "first checkpoint id is \(value): checkpoint ids start at 1"
    case .recoveryObjectiveNotPositive(let value):
      return "recovery objective \(value) ms: use a positive duration such as 2s"
    case .intervalBoundsInverted(let minimum, let maximum):
      return "checkpoint interval bounds are inverted (minimum \(minimum) ms, maximum"
        + " \(maximum) ms): make --checkpoint-min-interval at most --checkpoint-max-interval"
    }
  }
}
