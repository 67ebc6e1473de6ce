/// How and how often a job takes checkpoints.
///
/// Guarantees: the defaults are Flink's (checkpoints off, exactly-once,
/// 10 minute timeout, no minimum pause, one checkpoint at a time, no failure
/// tolerated) except `retainedCheckpoints`, which defaults to 3 (Flink: 1) so
/// a corrupt latest checkpoint still leaves older ones to recover from.
/// `validate()` accepts exactly the settings the coordinator can honour.
public struct CheckpointSettings: Sendable, Hashable {
  /// The shortest accepted interval (Flink's `MINIMAL_CHECKPOINT_TIME`).
  public static let minimumIntervalMillis: Int64 = 10
  /// The shortest accepted timeout.
  public static let minimumTimeoutMillis: Int64 = 10

  /// Time between periodic checkpoint triggers; `nil` turns periodic
  /// checkpoints off (savepoints can still be requested).
  public var intervalMillis: Int64?
  /// Whether tasks with several inputs align barriers.
  public var mode: CheckpointingMode
  /// A checkpoint not acknowledged by every task this long after its trigger
  /// is aborted.
  public var timeoutMillis: Int64
  /// The least time between the completion of one checkpoint and the trigger
  /// of the next periodic one, so processing gets time between checkpoints.
  public var minPauseBetweenCheckpointsMillis: Int64
  /// The most checkpoints (including savepoints) in flight at once before a
  /// periodic trigger is held back. Savepoints are never held back.
  public var maxConcurrentCheckpoints: Int
  /// How many completed checkpoints are kept; older ones are deleted.
  public var retainedCheckpoints: Int
  /// How many consecutive counted checkpoint failures the job survives.
  /// Flink's default 0 means the first counted failure (expiry, snapshot
  /// failure, metadata write failure) fails the job; `n` means the job fails
  /// at failure `n + 1` in a row. A completed checkpoint resets the count.
  public var tolerableConsecutiveFailures: Int

  /// Creates settings; every argument has the default described on the type.
  public init(
    intervalMillis: Int64? = nil,
    mode: CheckpointingMode = .exactlyOnce,
    timeoutMillis: Int64 = 600_000,
    minPauseBetweenCheckpointsMillis: Int64 = 0,
    maxConcurrentCheckpoints: Int = 1,
    retainedCheckpoints: Int = 3,
    tolerableConsecutiveFailures: Int = 0
  ) {
    self.intervalMillis = intervalMillis
    self.mode = mode
    self.timeoutMillis = timeoutMillis
    self.minPauseBetweenCheckpointsMillis = minPauseBetweenCheckpointsMillis
    self.maxConcurrentCheckpoints = maxConcurrentCheckpoints
    self.retainedCheckpoints = retainedCheckpoints
    self.tolerableConsecutiveFailures = tolerableConsecutiveFailures
  }

  /// Whether periodic checkpoints are on.
  public var isPeriodic: Bool { intervalMillis != nil }

  /// Throws the first setting that is out of range, checked in declaration
  /// order; returns normally when the coordinator can honour every setting.
  public func validate() throws(CheckpointConfigurationError) {
    if let interval = intervalMillis, interval < Self.minimumIntervalMillis {
      throw .intervalTooShort(interval)
    }
    if timeoutMillis < Self.minimumTimeoutMillis { throw .timeoutTooShort(timeoutMillis) }
    if minPauseBetweenCheckpointsMillis < 0 {
      throw .negativeMinPause(minPauseBetweenCheckpointsMillis)
    }
    if maxConcurrentCheckpoints < 1 {
      throw .maxConcurrentCheckpointsBelowOne(maxConcurrentCheckpoints)
    }
    if retainedCheckpoints < 1 { throw .retainedCheckpointsBelowOne(retainedCheckpoints) }
    if tolerableConsecutiveFailures < 0 {
      throw .negativeTolerableFailures(tolerableConsecutiveFailures)
    }
  }
}
