/// The statistics of one completed checkpoint or savepoint.
///
/// Guarantees: `durationMillis` is completion (metadata durable) minus
/// trigger time; the `max…` fields are maxima over the acknowledging tasks
/// and `totalBytes` is their sum; tasks that sent no statistics count as 0.
public struct CompletedCheckpointStats: Sendable, Hashable {
  /// The checkpoint id.
  public var checkpoint: Int64
  /// Whether it was a savepoint.
  public var isSavepoint: Bool
  /// When the sources were triggered.
  public var triggerMillis: Int64
  /// When the metadata was reported durable.
  public var completionMillis: Int64
  /// The longest synchronous snapshot pause of any task.
  public var maxSyncDurationMillis: Int64
  /// The longest asynchronous snapshot part of any task.
  public var maxAsyncDurationMillis: Int64
  /// The longest barrier alignment of any task.
  public var maxAlignmentMillis: Int64
  /// Bytes written by all tasks together.
  public var totalBytes: Int64
  /// How many tasks acknowledged.
  public var acknowledgedTasks: Int

  /// Trigger-to-complete duration.
  public var durationMillis: Int64 { completionMillis - triggerMillis }

  /// Creates the record from its parts.
  public init(
    checkpoint: Int64, isSavepoint: Bool, triggerMillis: Int64, completionMillis: Int64,
    maxSyncDurationMillis: Int64, maxAsyncDurationMillis: Int64, maxAlignmentMillis: Int64,
    totalBytes: Int64, acknowledgedTasks: Int
  ) {
    self.checkpoint = checkpoint
    self.isSavepoint = isSavepoint
    self.triggerMillis = triggerMillis
    self.completionMillis = completionMillis
    self.maxSyncDurationMillis = maxSyncDurationMillis
    self.maxAsyncDurationMillis = maxAsyncDurationMillis
    self.maxAlignmentMillis = maxAlignmentMillis
    self.totalBytes = totalBytes
    self.acknowledgedTasks = acknowledgedTasks
  }
}
