/// Runs a ``KeyedCoProcessFunction`` over the records of a two-input task
/// whose inputs are both hash-partitioned by the same key type: sets the
/// current key of every record (with the key selector of its input), then
/// calls the function's method for that input. Both inputs share one
/// ``KeyedStateBackend`` (state and timers), which is snapshotted at
/// checkpoint barriers and closed with the operator.
public final class KeyedCoProcessOperator<F: KeyedCoProcessFunction>: StreamOperator {
  public typealias Input = TwoInputRecord<F.Input1, F.Input2>
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let key1: @Sendable (F.Input1) -> F.Key
  @usableFromInline let key2: @Sendable (F.Input2) -> F.Key
  @usableFromInline let timestamp1: (@Sendable (F.Input1) -> Int64)?
  @usableFromInline let timestamp2: (@Sendable (F.Input2) -> Int64)?
  @usableFromInline var context: KeyedContext<F.Key>?

  /// Creates the operator of one subtask.
  @inlinable
  public init(
    function: F, key1: @escaping @Sendable (F.Input1) -> F.Key,
    key2: @escaping @Sendable (F.Input2) -> F.Key,
    timestamp1: (@Sendable (F.Input1) -> Int64)?, timestamp2: (@Sendable (F.Input2) -> Int64)?
  ) {
    self.function = function
    self.key1 = key1
    self.key2 = key2
    self.timestamp1 = timestamp1
    self.timestamp2 = timestamp2
  }

  @inlinable
  public func open(_ operatorContext: OperatorContext) throws {
    let context = try KeyedContext<F.Key>.restored(from: operatorContext)
    self.context = context
    try function.open(context)
    try context.reloadTimers()
  }

  public func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )? {
    try context?.stateBackend.prepareSnapshot(request)
  }

  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [F.Output]) throws {
    guard let context else { return }
    let current = context.stateBackend.current
    var collector = Collector(buffer: output, side: context.operatorContext.sideOutputs)
    output = []
    defer {
      output = collector.buffer
      current.key = nil
      context.currentTimestamp = nil
    }
    for record in batch {
      switch record {
      case .first(let value):
        current.key = key1(value)
        context.currentTimestamp = timestamp1?(value)
        try function.processElement1(value, context: context, out: &collector)
      case .second(let value):
        current.key = key2(value)
        context.currentTimestamp = timestamp2?(value)
        try function.processElement2(value, context: context, out: &collector)
      }
    }
  }

  @inlinable
  public func processWatermark(_ watermark: Int64, into output: inout [F.Output]) throws -> Int64? {
    try context?.fireEventTimers(upTo: watermark, into: &output) { time, out in
      try function.onTimer(time, domain: .eventTime, context: context!, out: &out)
    }
    return watermark
  }

  @inlinable
  public func onTick(into output: inout [F.Output]) throws {
    try context?.fireProcessingTimers(into: &output) { time, out in
      try function.onTimer(time, domain: .processingTime, context: context!, out: &out)
    }
  }

  @inlinable
  public func endOfInput(into output: inout [F.Output]) throws {
    guard let context else { return }
    // The final watermark: every remaining event-time timer fires first.
    _ = try processWatermark(.max, into: &output)
    try context.collecting(into: &output) { try function.endOfInput(context: context, out: &$0) }
  }

  @inlinable
  public func close() {
    context?.stateBackend.close()
  }
}
