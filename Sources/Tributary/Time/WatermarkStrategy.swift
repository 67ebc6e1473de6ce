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

  /// Watermarks trail the largest timestamp seen by `maxOutOfOrderness`
  /// (watermark = max timestamp − bound − 1, as in Flink).
  public static func boundedOutOfOrderness(
    _ maxOutOfOrderness: Duration, timestamp: @escaping @Sendable (T) -> Int64
  ) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness.milliseconds,
      idleTimeout: nil, interval: 200)
  }

  /// For timestamps that never decrease within a subtask.
  public static func monotonic(timestamp: @escaping @Sendable (T) -> Int64) -> Self {
    Self(timestamp: timestamp, maxOutOfOrderness: 0, idleTimeout: nil, interval: 200)
  }

  /// The same strategy with idle-source detection after `timeout` without records.
  public func withIdleness(_ timeout: Duration) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness,
      idleTimeout: timeout.milliseconds, interval: interval)
  }

  /// The same strategy emitting watermarks every `interval` of processing time.
  public func withInterval(_ interval: Duration) -> Self {
    Self(
      timestamp: timestamp, maxOutOfOrderness: maxOutOfOrderness, idleTimeout: idleTimeout,
      interval: max(0, interval.milliseconds))
  }
}

extension Duration {
  /// This duration in whole milliseconds (rounded down).
  public var milliseconds: Int64 {
    let (seconds, atto) = components
    return seconds * 1_000 + atto / 1_000_000_000_000_000
  }
}

/// Assigns watermarks to one subtask's records as a ``WatermarkStrategy`` says;
/// records pass through unchanged. Upstream watermarks are replaced by its own.
public final class WatermarkAssigner<T: Sendable>: StreamOperator {
  public typealias Input = T
  public typealias Output = T

  @usableFromInline let strategy: WatermarkStrategy<T>
  @usableFromInline var maxTimestamp = Int64.min
  @usableFromInline var emitted = Int64.min
  @usableFromInline var lastEmission: Int64 = 0
  @usableFromInline var lastRecord: Int64 = 0
  @usableFromInline var idle = false
  @usableFromInline var clock: any ProcessingClock = SystemProcessingClock()
  @usableFromInline let signals = ControlSignals()

  /// Creates the assigner of one subtask.
  @inlinable
  public init(strategy: WatermarkStrategy<T>) { self.strategy = strategy }

  public var controlSignals: ControlSignals? { signals }

  public func open(_ context: OperatorContext) throws {
    clock = context.processingClock
    lastRecord = clock.nowMillis()
    lastEmission = lastRecord
  }

  @inlinable
  public func processBatch(_ batch: [T], into output: inout [T]) throws {
    var largest = maxTimestamp
    for record in batch { largest = max(largest, strategy.timestamp(record)) }
    maxTimestamp = largest
    output = batch
    let now = clock.nowMillis()
    lastRecord = now
    if idle {
      idle = false
      signals.idle = false
    }
    if now - lastEmission >= strategy.interval { emit(now) }
  }

  public func processWatermark(_ watermark: Int64, into output: inout [T]) throws -> Int64? {
    nil
  }

  public func onTick(into output: inout [T]) throws {
    let now = clock.nowMillis()
    if now - lastEmission >= strategy.interval { emit(now) }
    if let timeout = strategy.idleTimeout, !idle, now - lastRecord >= timeout {
      idle = true
      signals.idle = true
    }
  }

  public func endOfInput(into output: inout [T]) throws {
    emitted = .max
    signals.watermark = .max
  }

  @usableFromInline
  func emit(_ now: Int64) {
    lastEmission = now
    guard maxTimestamp != .min else { return }
    let candidate = maxTimestamp &- strategy.maxOutOfOrderness &- 1
    if candidate > emitted {
      emitted = candidate
      signals.watermark = candidate
    }
  }
}
