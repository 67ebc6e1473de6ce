/// Anything at the end of a task-local output, seen without its record type.
class DownstreamBase {
  /// Releases resources; called once per task, also after failure or cancellation.
  func close() {}
}

/// The receiving end of a task-local output: the next chained operator, a
/// sink, or a router to other tasks. Not thread-safe: owned by one task.
class Downstream<T: Sendable>: DownstreamBase {
  /// Delivers a batch (non-empty) in order.
  func push(_ batch: [T]) async throws {}
  /// Sends everything buffered so far on its way (called when the task goes idle).
  func flush() async throws {}
  /// The input ended: emit final results, then propagate end-of-input.
  func finish() async throws {}
  /// Event time advanced to `watermark` on every input of this task.
  func pushWatermark(_ watermark: Int64) async throws {}
  /// Every input of this task became idle (`true`) or one became active again.
  func pushIdleness(_ idle: Bool) async throws {}
  /// A regular chance to act on processing time (timers, periodic watermarks).
  func tick() async throws {}
  /// Checkpoint barrier: snapshot this link's operator into `snapshot`, then
  /// forward the barrier (in order with the data).
  func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder) async throws {}
  /// After end of input: the state the job's final checkpoint needs (sinks'
  /// last transactions).
  func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {}
}

/// Discards everything: the output of a chain without consumers.
final class NullDownstream<T: Sendable>: Downstream<T> {}

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
  private var buffer: [Out] = []
  private var closed = false

  init(kernel: OperatorKernel<In, Out>, context: OperatorContext, next: Downstream<Out>) throws {
    self.kernel = kernel
    self.next = next
    self.context = context
    self.side = context.sideOutputs
    super.init()
    try guarded { try kernel.open(context) }
  }

  override func push(_ batch: [In]) async throws {
    buffer.removeAll(keepingCapacity: true)
    try guarded { try kernel.process(batch, &buffer) }
    if !buffer.isEmpty { try await next.push(buffer) }
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
    if !buffer.isEmpty { try await next.push(buffer) }
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
    if !buffer.isEmpty { try await next.push(buffer) }
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
    if let hook = kernel.snapshot {
      try guarded {
        if let produce = try hook(snapshot.request) {
          snapshot.add(operatorID: context.operatorID, producer: produce)
        }
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
    if kernel.signals() == nil {
      try await next.pushIdleness(idle)
      try await side?.forward { try await $0.pushIdleness(idle) }
    }
  }

  override func tick() async throws {
    if let hook = kernel.tick {
      buffer.removeAll(keepingCapacity: true)
      try guarded { try hook(&buffer) }
      if !buffer.isEmpty { try await next.push(buffer) }
      try await emitSignals()
    }
    try await next.tick()
    try await side?.forward { try await $0.tick() }
  }

  /// Forwards the watermark and idleness the operator generated, if any.
  private func emitSignals() async throws {
    guard let signals = kernel.signals() else { return }
    if let idle = signals.idle {
      signals.idle = nil
      try await next.pushIdleness(idle)
    }
    if let watermark = signals.watermark {
      signals.watermark = nil
      try await next.pushWatermark(watermark)
    }
  }

  override func close() {
    if !closed {
      closed = true
      kernel.close()
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
