/// Runs a ``KeyedProcessFunction``: sets the current key of every record, then
/// calls the function. Records are processed in arrival order.
public final class KeyedProcessOperator<F: KeyedProcessFunction>: StreamOperator {
  public typealias Input = F.Input
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let keySelector: @Sendable (F.Input) -> F.Key
  @usableFromInline var context: KeyedContext<F.Key>?
  @usableFromInline var scratch = BinaryWriter(capacity: 32)

  /// Creates the operator for one subtask.
  @inlinable
  public init(function: F, keySelector: @escaping @Sendable (F.Input) -> F.Key) {
    self.function = function
    self.keySelector = keySelector
  }

  @inlinable
  public func open(_ context: OperatorContext) throws {
    self.operatorContext = context
    try function.open(context)
  }

  @usableFromInline var operatorContext: OperatorContext?

  @inlinable
  public func processBatch(_ batch: [F.Input], into output: inout [F.Output]) throws {
    guard !batch.isEmpty else { return }
    let maxParallelism = operatorContext!.maxParallelism
    var collector = Collector(buffer: output)
    output = []
    defer { output = collector.buffer }
    for record in batch {
      let key = keySelector(record)
      let group = KeyGroups.keyGroup(of: key, maxParallelism: maxParallelism, scratch: &scratch)
      let ctx: KeyedContext<F.Key>
      if let existing = context {
        existing.currentKey = key
        existing.currentKeyGroup = group
        ctx = existing
      } else {
        ctx = KeyedContext(key: key, keyGroup: group, operatorContext: operatorContext!)
        context = ctx
      }
      try function.processElement(record, context: ctx, out: &collector)
    }
  }

  @inlinable
  public func endOfInput(into output: inout [F.Output]) throws {
    var collector = Collector(buffer: output)
    output = []
    defer { output = collector.buffer }
    try function.endOfInput(out: &collector)
  }
}
