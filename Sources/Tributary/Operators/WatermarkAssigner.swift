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
    observe(batch)
    if output.isEmpty { output = batch } else { output.append(contentsOf: batch) }
  }

  /// Hands the batch on without copying its records.
  @inlinable
  public func processBatch(taking batch: inout [T], into output: inout [T]) throws {
    observe(batch)
    batch.moveAll(onto: &output)
  }

  /// Advances the largest timestamp seen and emits a watermark when due.
  @inlinable
  func observe(_ batch: [T]) {
    var largest = maxTimestamp
    if strategy.ascending {
      if let last = batch.last { largest = max(largest, strategy.timestamp(last)) }
    } else {
      for record in batch { largest = max(largest, strategy.timestamp(record)) }
    }
    maxTimestamp = largest
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
