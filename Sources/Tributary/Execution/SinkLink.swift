/// The last link of a chain: hands batches to a sink.
final class SinkLink<In: Sendable>: Downstream<In> {
  private let kernel: SinkKernel<In>
  private let context: OperatorContext
  private var closed = false

  init(kernel: SinkKernel<In>, context: OperatorContext) throws {
    self.kernel = kernel
    self.context = context
    super.init()
    try guarded { try kernel.instance.open(context) }
  }

  override func push(_ batch: inout [In]) async throws { try guarded { try kernel.write(batch) } }
  override func finish() async throws { try guarded { try kernel.instance.finish() } }
  override func pushWatermark(_ watermark: Int64) async throws {
    try guarded { try kernel.instance.writeWatermark(watermark) }
  }
  override func pushIdleness(_ isIdle: Bool) async throws {
    try guarded { try kernel.instance.idlenessChanged(isIdle) }
  }
  override func tick() async throws { try guarded { try kernel.instance.tick() } }

  override func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder)
    async throws
  {
    try guarded {
      if let bytes = try kernel.instance.snapshotState(checkpoint: barrier.id) {
        snapshot.add(operatorID: context.operatorID, bytes: bytes)
      }
    }
  }

  override func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {
    try guarded {
      if let bytes = try kernel.instance.finalState() {
        snapshot.add(operatorID: context.operatorID, bytes: bytes)
      }
    }
  }
  override func close() {
    if !closed {
      closed = true
      kernel.instance.close()
    }
  }

  private func guarded(_ body: () throws -> Void) throws {
    do { try body() } catch {
      throw JobError.operatorFailed(
        operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
    }
  }
}
