/// Anything at the end of a task-local output, seen without its record type.
class DownstreamBase {
  /// Releases resources; called once per task, also after failure or cancellation.
  func close() {}
}

/// The receiving end of a task-local output: the next chained operator, a
/// sink, or a router to other tasks. Not thread-safe: owned by one task.
class Downstream<T: Sendable>: DownstreamBase {
  /// Delivers a batch (non-empty) in order. The receiver may move the
  /// records out of `batch` instead of copying them; the caller must not use
  /// its contents afterwards (only its capacity, for the next batch).
  func push(_ batch: inout [T]) async throws {}
  /// Delivers a batch (non-empty) that another task may be reading at the
  /// same time: a fan-out hands one array to several tasks. The receiver reads
  /// the records and copies what it keeps; it must not modify the array. By
  /// default it is pushed as a batch of this link's own, which copies the
  /// array (every record) only if the receiver modifies it.
  func push(shared batch: [T]) async throws {
    var batch = batch
    try await push(&batch)
  }
  /// Sends everything buffered so far on its way (called when the task goes idle).
  func flush() async throws {}
  /// The input ended: emit final results, then propagate end-of-input.
  func finish() async throws {}
  /// Event time advanced to `watermark` on every input of this task.
  func pushWatermark(_ watermark: Int64) async throws {}
  /// Every input of this task became idle (`true`) or one became active again.
  func pushIdleness(_ idle: Bool) async throws {}
  /// A regular chance to act on processing time (timers, periodic watermarks).
  func tick() async throws {}
  /// Checkpoint barrier: snapshot this link's operator into `snapshot`, then
  /// forward the barrier (in order with the data).
  func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder) async throws {}
  /// After end of input: the state the job's final checkpoint needs (sinks'
  /// last transactions).
  func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {}
}

/// Discards everything: the output of a chain without consumers.
final class NullDownstream<T: Sendable>: Downstream<T> {}
