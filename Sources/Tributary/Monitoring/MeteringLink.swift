/// Counts what passes between two links of a chain, once per batch: the
/// records the next operator receives (`into`) are the records the previous
/// one emitted (`from`). Watermarks set `into`'s event time and `from`'s
/// output watermark; the first link of a task also books event-time
/// idleness on the task's meter. Everything is
/// forwarded unchanged and in order. Not thread-safe: owned by one task,
/// like any link.
final class MeteringLink<T: Sendable>: Downstream<T> {
  private let next: Downstream<T>
  private let into: OperatorMeter?
  private let from: OperatorMeter?
  private let task: TaskMeter?

  init(
    next: Downstream<T>, into: OperatorMeter?, from: OperatorMeter?,
    task: TaskMeter? = nil
  ) {
    self.next = next
    self.task = task
    self.into = into
    self.from = from
  }

  override func push(_ batch: inout [T]) async throws {
    into?.received(batch.count)
    from?.emitted(batch.count)
    try await next.push(&batch)
  }

  override func push(shared batch: [T]) async throws {
    into?.received(batch.count)
    from?.emitted(batch.count)
    try await next.push(shared: batch)
  }

  override func pushWatermark(_ watermark: Int64) async throws {
    into?.watermarkAdvanced(watermark)
    from?.watermarkEmitted(watermark)
    try await next.pushWatermark(watermark)
  }

  override func flush() async throws { try await next.flush() }
  override func finish() async throws { try await next.finish() }
  override func pushIdleness(_ idle: Bool) async throws {
    task?.eventTimeIdleness(idle)
    try await next.pushIdleness(idle)
  }
  override func tick() async throws { try await next.tick() }
  override func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder)
    async throws
  {
    try await next.pushBarrier(barrier, into: snapshot)
  }
  override func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {
    try next.collectFinalState(into: snapshot)
  }
  override func close() { next.close() }
}

/// A router that reports the time its task waited on full output channels.
protocol BackpressureReporting: AnyObject {
  /// Where waits are added (the task's meter).
  var backpressureMeter: TaskMeter? { get set }
}
