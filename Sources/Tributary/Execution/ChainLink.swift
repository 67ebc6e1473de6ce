/// One operator of a chain, feeding the next element of the chain, and its
/// side outputs (if any are consumed): their records are sent after every
/// call into the operator, and every control element (watermark, idleness,
/// barrier, end of input, flush, tick) follows them there too.
///
/// Errors thrown by the operator are wrapped in ``JobError/operatorFailed``
/// with its name and subtask (errors from further down pass through as they are).
final class ChainLink<In: Sendable, Out: Sendable>: Downstream<In> {
  private let kernel: OperatorKernel<In, Out>
  private let next: Downstream<Out>
  private let context: OperatorContext
  private let side: SideOutputs?
  /// The operator's own watermarks and idleness, if it generates any.
  private var signals: ControlSignals?
  private var buffer: [Out] = []
  private var closed = false

  init(kernel: OperatorKernel<In, Out>, context: OperatorContext, next: Downstream<Out>) throws {
    self.kernel = kernel
    self.next = next
    self.context = context
    self.side = context.sideOutputs
    super.init()
    try guarded { try kernel.instance.open(context) }
    signals = kernel.instance.controlSignals
  }

  override func push(_ batch: inout [In]) async throws {
    buffer.removeAll(keepingCapacity: true)
    try guarded { try kernel.process(&batch, &buffer) }
    try await emitProcessed()
  }

  override func push(shared batch: [In]) async throws {
    // Read in place: taking the records would first copy the whole array.
    guard let read = kernel.processShared else { return try await super.push(shared: batch) }
    buffer.removeAll(keepingCapacity: true)
    try guarded { try read(batch, &buffer) }
    try await emitProcessed()
  }

  /// Sends on what the operator made of a batch: its records, its side
  /// outputs', and the watermarks and idleness it generated.
  private func emitProcessed() async throws {
    if !buffer.isEmpty { try await next.push(&buffer) }
    if let side, side.pending { try await side.drain() }
    try await emitSignals()
  }

  override func flush() async throws {
    try await next.flush()
    try await side?.forward { try await $0.flush() }
  }

  override func finish() async throws {
    buffer.removeAll(keepingCapacity: true)
    try guarded { try kernel.finish(&buffer) }
    if !buffer.isEmpty { try await next.push(&buffer) }
    try await emitSignals()
    try await side?.forward { try await $0.finish() }
    try await next.finish()
  }

  override func pushWatermark(_ watermark: Int64) async throws {
    guard let hook = kernel.watermark else {
      try await next.pushWatermark(watermark)
      try await side?.forward { try await $0.pushWatermark(watermark) }
      return
    }
    buffer.removeAll(keepingCapacity: true)
    var forward: Int64?
    try guarded { forward = try hook(watermark, &buffer) }
    if !buffer.isEmpty { try await next.push(&buffer) }
    if let forward {
      try await next.pushWatermark(forward)
      try await side?.forward { try await $0.pushWatermark(forward) }
    } else {
      try await side?.drain()
    }
    try await emitSignals()
  }

  override func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder)
    async throws
  {
    try guarded {
      if let produce = try kernel.instance.prepareSnapshot(snapshot.request) {
        snapshot.add(operatorID: context.operatorID, producer: produce)
      }
    }
    try await next.pushBarrier(barrier, into: snapshot)
    try await side?.forward { try await $0.pushBarrier(barrier, into: snapshot) }
  }

  override func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {
    try next.collectFinalState(into: snapshot)
  }

  override func pushIdleness(_ idle: Bool) async throws {
    // An operator that generates its own watermarks decides its idleness itself.
    if signals == nil {
      try await next.pushIdleness(idle)
      try await side?.forward { try await $0.pushIdleness(idle) }
    }
  }

  override func tick() async throws {
    if let hook = kernel.tick {
      buffer.removeAll(keepingCapacity: true)
      try guarded { try hook(&buffer) }
      if !buffer.isEmpty { try await next.push(&buffer) }
      try await emitSignals()
    }
    try await next.tick()
    try await side?.forward { try await $0.tick() }
  }

  /// Forwards the watermark and idleness the operator generated, if any.
  private func emitSignals() async throws {
    guard let signals else { return }
    for signal in signals.drain() {
      switch signal {
      case .watermark(let watermark): try await next.pushWatermark(watermark)
      case .idleness(let idle): try await next.pushIdleness(idle)
      }
    }
  }

  override func close() {
    if !closed {
      closed = true
      kernel.instance.close()
    }
    side?.close()
    next.close()
  }

  private func guarded(_ body: () throws -> Void) throws {
    do { try body() } catch let error as JobError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw JobError.operatorFailed(
        operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
    }
  }
}
