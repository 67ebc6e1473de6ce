/// Runs a ``KeyedProcessFunction``: sets the current key of every record, then
/// calls the function. Records are processed in arrival order; state lives in
/// the subtask's ``KeyedStateBackend``, which is closed with the operator.
public final class KeyedProcessOperator<F: KeyedProcessFunction>: StreamOperator {
  public typealias Input = F.Input
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let keySelector: @Sendable (F.Input) -> F.Key
  @usableFromInline let timestampOf: (@Sendable (F.Input) -> Int64)?
  @usableFromInline var context: KeyedContext<F.Key>?

  /// Creates the operator for one subtask.
  @inlinable
  public init(
    function: F, keySelector: @escaping @Sendable (F.Input) -> F.Key,
    timestampOf: (@Sendable (F.Input) -> Int64)? = nil
  ) {
    self.function = function
    self.keySelector = keySelector
    self.timestampOf = timestampOf
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
  public func processBatch(_ batch: [F.Input], into output: inout [F.Output]) throws {
    guard let context else { return }
    let current = context.stateBackend.current
    var collector = Collector(buffer: output, side: context.operatorContext.sideOutputs)
    output = []
    defer {
      output = collector.buffer
      current.key = nil
    }
    let backend = context.stateBackend
    let lookahead = 16
    if !backend.prefetchers.isEmpty {
      for record in batch.prefix(lookahead) { backend.prefetch(keySelector(record)) }
    }
    for index in batch.indices {
      if !backend.prefetchers.isEmpty && index + lookahead < batch.count {
        backend.prefetch(keySelector(batch[index + lookahead]))
      }
      let record = batch[index]
      current.key = keySelector(record)
      if let timestampOf { context.currentTimestamp = timestampOf(record) }
      try function.processElement(record, context: context, out: &collector)
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
