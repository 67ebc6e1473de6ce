/// What checkpointing did during one run of a job.
public struct CheckpointReport: Sendable {
  /// Checkpoints that completed.
  public let completed: Int
  /// Checkpoints that were aborted (timeout, failure, subsumed).
  public let failed: Int
  /// Median trigger-to-complete time (ms) of completed checkpoints.
  public let durationMillisP50: Int64?
  /// Longest trigger-to-complete time (ms).
  public let durationMillisMax: Int64?
  /// Longest synchronous snapshot pause of any task (ms).
  public let syncMillisMax: Int64?
  /// Longest barrier alignment of any task (ms).
  public let alignmentMillisMax: Int64?
  /// Bytes of the last completed checkpoint.
  public let bytesLast: Int64
  /// Average bytes newly written per completed checkpoint.
  public let incrementalBytesAverage: Int64
  /// The interval in force at the end of the run (the chosen one with a
  /// recovery objective), if checkpoints were periodic.
  public var intervalMillisFinal: Int64? = nil
  /// The predicted recovery time at that interval, with a recovery objective
  /// (after the second completed checkpoint).
  public var predictedRecoveryMillis: Double? = nil
}
