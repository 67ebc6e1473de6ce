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
}

/// Discards everything: the output of a chain without consumers.
final class NullDownstream<T: Sendable>: Downstream<T> {}

/// One operator of a chain, feeding the next element of the chain.
///
/// Errors thrown by the operator are wrapped in ``JobError/operatorFailed``
/// with its name and subtask (errors from further down pass through as they are).
final class ChainLink<In: Sendable, Out: Sendable>: Downstream<In> {
  private let kernel: OperatorKernel<In, Out>
  private let next: Downstream<Out>
  private let context: OperatorContext
  private var buffer: [Out] = []
  private var closed = false

  init(kernel: OperatorKernel<In, Out>, context: OperatorContext, next: Downstream<Out>) throws {
    self.kernel = kernel
    self.next = next
    self.context = context
    super.init()
    try guarded { try kernel.open(context) }
  }

  override func push(_ batch: [In]) async throws {
    buffer.removeAll(keepingCapacity: true)
    try guarded { try kernel.process(batch, &buffer) }
    if !buffer.isEmpty { try await next.push(buffer) }
  }

  override func flush() async throws { try await next.flush() }

  override func finish() async throws {
    buffer.removeAll(keepingCapacity: true)
    try guarded { try kernel.finish(&buffer) }
    if !buffer.isEmpty { try await next.push(buffer) }
    try await next.finish()
  }

  override func close() {
    if !closed {
      closed = true
      kernel.close()
    }
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
