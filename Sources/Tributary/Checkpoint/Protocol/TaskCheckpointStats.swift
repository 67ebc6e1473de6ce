/// What one task reports with its acknowledgement of a checkpoint.
///
/// Guarantees: plain numbers, no units mixed: durations in milliseconds, sizes
/// in bytes; an acknowledgement without statistics counts as all zeros.
public struct TaskCheckpointStats: Sendable, Hashable {
  /// How long processing paused for the synchronous part of the snapshot.
  public var syncDurationMillis: Int64
  /// How long the asynchronous part (writing files) took.
  public var asyncDurationMillis: Int64
  /// How long the task aligned barriers, from the first to the last barrier.
  public var alignmentMillis: Int64
  /// Bytes this task wrote to checkpoint storage for this checkpoint.
  public var bytes: Int64

  /// Creates task statistics; every field defaults to zero.
  public init(
    syncDurationMillis: Int64 = 0, asyncDurationMillis: Int64 = 0,
    alignmentMillis: Int64 = 0, bytes: Int64 = 0
  ) {
    self.syncDurationMillis = syncDurationMillis
    self.asyncDurationMillis = asyncDurationMillis
    self.alignmentMillis = alignmentMillis
    self.bytes = bytes
  }

  /// All zeros: what an acknowledgement without statistics records.
  public static let zero = TaskCheckpointStats()
}
