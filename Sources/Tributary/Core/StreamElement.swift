/// Everything a task can receive on an input channel, in order.
///
/// This enum is the whole in-band protocol between tasks: data travels in
/// batches, and control elements travel in the same ordered stream, so a
/// control element is seen only after every record sent before it.
///
public enum StreamElement<T: Sendable>: Sendable {
  /// A non-empty batch of records, in the order the sender produced them.
  case records([T])
  /// Event time has reached this timestamp (ms) on this channel: the sender
  /// will send no record with a smaller timestamp. Never decreases per channel.
  case watermark(Int64)
  /// The sender is idle (`true`): it holds no watermark back until it becomes
  /// active again (`false`) or sends a watermark.
  case idleness(Bool)
  /// Everything before belongs to checkpoint `barrier.id`; the receiver
  /// snapshots once the barrier arrived on all its inputs (exactly-once).
  case barrier(CheckpointBarrier)
  /// The sender will send nothing more on this channel.
  case endOfInput
}
