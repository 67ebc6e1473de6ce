/// Runs a ``KeyedProcessFunction``: sets the current key of every record, then
/// calls the function. Records are processed in arrival order; state lives in
/// the subtask's ``KeyedStateBackend``, which is closed with the operator.
public final class KeyedProcessOperator<F: KeyedProcessFunction>: StreamOperator {
  public typealias Input = F.Input
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let keySelector: @Sendable (F.Input) -> F.Key
  @usableFromInline var context: KeyedContext<F.Key>?

  /// Creates the operator for one subtask.
  @inlinable
  public init(function: F, keySelector: @escaping @Sendable (F.Input) -> F.Key) {
    self.function = function
    self.keySelector = keySelector
  }

  @inlinable
  public func open(_ operatorContext: OperatorContext) throws {
    let backend = try KeyedStateBackend<F.Key>(context: operatorContext)
    let context = KeyedContext(operatorContext: operatorContext, stateBackend: backend)
    self.context = context
    try function.open(context)
  }

  @inlinable
  public func processBatch(_ batch: [F.Input], into output: inout [F.Output]) throws {
    guard let context else { return }
    let current = context.stateBackend.current
    var collector = Collector(buffer: output)
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
      try function.processElement(record, context: context, out: &collector)
    }
  }

  @inlinable
  public func endOfInput(into output: inout [F.Output]) throws {
    guard let context else { return }
    var collector = Collector(buffer: output)
    output = []
    defer { output = collector.buffer }
    try function.endOfInput(context: context, out: &collector)
  }

  @inlinable
  public func close() {
    context?.stateBackend.close()
  }
}
