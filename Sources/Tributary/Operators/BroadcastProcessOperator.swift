/// Runs a ``BroadcastProcessFunction`` over a stream connected with a
/// broadcast stream (``TwoInputRecord``: `.first` the stream, `.second` the
/// broadcast records). Its snapshot is the broadcast state; restored at any
/// parallelism, every subtask starts from the state of the former subtask 0.
public final class BroadcastProcessOperator<F: BroadcastProcessFunction>: StreamOperator {
  public typealias Input = TwoInputRecord<F.Input, F.Broadcast>
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let timestamp1: (@Sendable (F.Input) -> Int64)?
  @usableFromInline let timestamp2: (@Sendable (F.Broadcast) -> Int64)?
  @usableFromInline let state: BroadcastState<F.MapKey, F.MapValue>
  @usableFromInline var readOnly: ReadOnlyBroadcastContext<F.MapKey, F.MapValue>?
  @usableFromInline var writable: BroadcastContext<F.MapKey, F.MapValue>?

  /// Creates the operator of one subtask; `stateName` is the broadcast descriptor's name.
  @inlinable
  public init(
    function: F, stateName: String, timestamp1: (@Sendable (F.Input) -> Int64)?,
    timestamp2: (@Sendable (F.Broadcast) -> Int64)?
  ) {
    self.function = function
    self.timestamp1 = timestamp1
    self.timestamp2 = timestamp2
    self.state = BroadcastState(name: stateName)
  }

  public func open(_ operatorContext: OperatorContext) throws {
    if let first = operatorContext.restoredState.first { try state.restore(from: first) }
    readOnly = ReadOnlyBroadcastContext(operatorContext: operatorContext, state: state)
    writable = BroadcastContext(operatorContext: operatorContext, state: state)
  }

  public func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )? {
    let bytes = state.snapshotBytes()
    return { OperatorSnapshot(bytes: bytes) }
  }

  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [F.Output]) throws {
    guard let readOnly, let writable else { return }
    var collector = Collector(buffer: output, side: readOnly.operatorContext.sideOutputs)
    output = []
    defer { output = collector.buffer }
    for record in batch {
      switch record {
      case .first(let value):
        readOnly.currentTimestamp = timestamp1?(value)
        try function.processElement(value, context: readOnly, out: &collector)
      case .second(let value):
        writable.currentTimestamp = timestamp2?(value)
        try function.processBroadcastElement(value, context: writable, out: &collector)
      }
    }
  }

  public func processWatermark(_ watermark: Int64, into output: inout [F.Output]) throws -> Int64? {
    readOnly?.watermark = watermark
    writable?.watermark = watermark
    return watermark
  }
}
