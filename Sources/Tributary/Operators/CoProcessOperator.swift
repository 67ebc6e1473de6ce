/// Runs a ``CoProcessFunction`` over the records of a two-input task
/// (``TwoInputRecord``): each record goes to the function's method for its
/// input, in arrival order. Stateless as far as checkpoints go (non-keyed
/// state is the function's own business, as in Flink's operator state it is
/// not checkpointed here).
public final class CoProcessOperator<F: CoProcessFunction>: StreamOperator {
  public typealias Input = TwoInputRecord<F.Input1, F.Input2>
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let timestamp1: (@Sendable (F.Input1) -> Int64)?
  @usableFromInline let timestamp2: (@Sendable (F.Input2) -> Int64)?
  @usableFromInline var context: CoProcessContext?

  /// Creates the operator of one subtask.
  @inlinable
  public init(
    function: F, timestamp1: (@Sendable (F.Input1) -> Int64)?,
    timestamp2: (@Sendable (F.Input2) -> Int64)?
  ) {
    self.function = function
    self.timestamp1 = timestamp1
    self.timestamp2 = timestamp2
  }

  public func open(_ operatorContext: OperatorContext) throws {
    let context = CoProcessContext(operatorContext: operatorContext)
    self.context = context
    try function.open(context)
  }

  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [F.Output]) throws {
    guard let context else { return }
    var collector = Collector(buffer: output, side: context.operatorContext.sideOutputs)
    output = []
    defer { output = collector.buffer }
    for record in batch {
      switch record {
      case .first(let value):
        context.currentTimestamp = timestamp1?(value)
        try function.processElement1(value, context: context, out: &collector)
      case .second(let value):
        context.currentTimestamp = timestamp2?(value)
        try function.processElement2(value, context: context, out: &collector)
      }
    }
    context.currentTimestamp = nil
  }

  public func processWatermark(_ watermark: Int64, into output: inout [F.Output]) throws -> Int64? {
    if let context, watermark > context.watermark { context.watermark = watermark }
    return watermark
  }

  public func endOfInput(into output: inout [F.Output]) throws {
    guard let context else { return }
    var collector = Collector(buffer: output, side: context.operatorContext.sideOutputs)
    output = []
    defer { output = collector.buffer }
    try function.endOfInput(context: context, out: &collector)
  }
}
