/// How a stream's records get event timestamps and how watermarks follow them.
///
/// Watermarks are emitted periodically (every ``interval`` of processing
/// time, checked after each batch and on the task's ticks), in-band with the
/// data, and never move backwards. With ``idleTimeout`` set, a subtask that
/// saw no record for that long declares itself idle and stops holding back
/// the watermark of downstream operators until records arrive again. At the
/// end of a bounded input the watermark jumps to `Int64.max`, firing every
/// remaining event-time timer and window.
public struct WatermarkStrategy<T>: Sendable {
  /// The event timestamp of a record, in milliseconds.
  public let timestamp: @Sendable (T) -> Int64
  /// How late (ms) a record may arrive behind the largest timestamp seen.
  public let maxOutOfOrderness: Int64
  /// Processing time (ms) without records after which the subtask is idle.
  public let idleTimeout: Int64?
  /// Processing time (ms) between watermark emissions.
  public let interval: Int64
  /// Whether timestamps never decrease within a subtask (see
  /// ``withAscendingTimestamps()``): then the largest timestamp of a batch is
  /// its last record's, and the assigner reads no other.
  public let ascending: Bool

  /// Watermarks trail the largest timestamp seen by `maxOutOfOrderness`
  /// (watermark = max timestamp − bound − 1, as in Flink).
  public static func boundedOutOfOrderness(
    _ maxOutOfOrderness: Duration, timestamp: @escaping @Sendable (T) -> Int64
  ) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness.milliseconds,
      idleTimeout: nil, interval: 200, ascending: false)
  }

  /// For timestamps that never decrease within a subtask.
  public static func monotonic(timestamp: @escaping @Sendable (T) -> Int64) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: 0, idleTimeout: nil, interval: 200,
      ascending: false)
  }

  /// The same strategy with idle-source detection after `timeout` without records.
  public func withIdleness(_ timeout: Duration) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness,
      idleTimeout: timeout.milliseconds, interval: interval, ascending: ascending)
  }

  /// The same strategy emitting watermarks every `interval` of processing time.
  public func withInterval(_ interval: Duration) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness, idleTimeout: idleTimeout,
      interval: max(0, interval.milliseconds), ascending: ascending)
  }

  /// The same strategy for a stream whose timestamps never decrease within
  /// each subtask (a generator that emits in time order): the watermark is
  /// computed from each batch's last record alone instead of from every
  /// record, which saves a call and a copy of every record. Watermarks are
  /// those of the strategy itself as long as the timestamps do ascend; a
  /// record out of order is not an error but may hold the watermark back
  /// until a later batch.
  public func withAscendingTimestamps() -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness, idleTimeout: idleTimeout,
      interval: interval, ascending: true)
  }
}
