/// One operator instance of one subtask: turns input batches into output records.
///
/// Every built-in operator conforms to this protocol; all hooks but
/// ``processBatch(_:into:)`` have no-op defaults. The engine calls the hooks of
/// one instance from one task only, in this order: `open`, any number of
/// `processBatch`, `endOfInput` (only when the input ended, not on
/// cancellation or failure), and always `close`. An error thrown by any hook
/// fails the job with that error, naming the operator and subtask.
public protocol StreamOperator<Input, Output>: AnyObject, SendableMetatype {
  /// The record type consumed.
  associatedtype Input: Sendable
  /// The record type produced.
  associatedtype Output: Sendable

  /// Prepares the instance before the first record.
  func open(_ context: OperatorContext) throws
  /// Processes `batch` in order, appending any outputs to `output`.
  func processBatch(_ batch: [Input], into output: inout [Output]) throws
  /// Called once after the last record of a bounded input; may emit final results.
  func endOfInput(into output: inout [Output]) throws
  /// Event time advanced to `watermark` (the minimum over all inputs): fire
  /// event-time timers, emit results. Returns the watermark to forward
  /// downstream (`nil` forwards nothing; the default forwards it unchanged).
  func processWatermark(_ watermark: Int64, into output: inout [Output]) throws -> Int64?
  /// Called regularly (after every batch and while the task waits) so that the
  /// operator can act on processing time: fire timers, emit periodic watermarks.
  func onTick(into output: inout [Output]) throws
  /// Watermarks and idleness the operator itself wants to emit: read once
  /// after `open`, drained by the engine after every call. `nil` for operators
  /// that generate none.
  var controlSignals: ControlSignals? { get }
  /// The one snapshot hook: at a checkpoint barrier, freeze the state now (the
  /// synchronous part, processing waits) and return the asynchronous part,
  /// which produces the ``OperatorSnapshot`` later on another thread while
  /// processing goes on; `nil` for a stateless operator (the default). An
  /// operator with little state may capture its bytes and return
  /// `{ OperatorSnapshot(bytes: bytes) }`. Restored state arrives in
  /// ``OperatorContext/restoredState`` at `open`.
  func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )?
  /// Releases resources; called exactly once, also after failure or cancellation.
  func close()
}

/// Control elements an operator generates (watermark assigners). Used by one task.
public final class ControlSignals {
  /// A watermark to emit, if any.
  public var watermark: Int64?
  /// An idleness change to emit, if any.
  public var idle: Bool?
  /// Creates empty signals.
  public init() {}

  /// Takes the pending signals, in the order downstream must see them:
  /// becoming active precedes the watermark it enables, and the last
  /// watermark precedes going idle. Empty (no allocation) when none.
  public func drain() -> [ControlSignal] {
    guard watermark != nil || idle != nil else { return [] }
    defer {
      watermark = nil
      idle = nil
    }
    var signals: [ControlSignal] = []
    if idle == false { signals.append(.idleness(false)) }
    if let watermark { signals.append(.watermark(watermark)) }
    if idle == true { signals.append(.idleness(true)) }
    return signals
  }
}

/// One control element an operator or source generates.
public enum ControlSignal: Sendable, Equatable {
  /// Event time advanced to this watermark.
  case watermark(Int64)
  /// The subtask became idle (`true`) or active again (`false`).
  case idleness(Bool)
}

extension StreamOperator {
  public func open(_ context: OperatorContext) throws {}
  public func endOfInput(into output: inout [Output]) throws {}
  public func processWatermark(_ watermark: Int64, into output: inout [Output]) throws -> Int64? {
    watermark
  }
  public func onTick(into output: inout [Output]) throws {}
  public var controlSignals: ControlSignals? { nil }
  public func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )? { nil }
  public func close() {}
}

/// An operator instance as the engine runs it without knowing its concrete
/// type: the operator itself for the hooks called once per task or per
/// checkpoint (`open`, `close`, `controlSignals`, `prepareSnapshot`), and
/// closures for the hooks that loop over records (`processBatch`,
/// `processWatermark`, `onTick`, `endOfInput`). Built in `@inlinable` API
/// code, those closures are specialised for the concrete record types, so the
/// per-record loops never go through generic or existential dispatch.
///
/// There is one operator contract, ``StreamOperator``: a new hook is declared
/// there and called by the engine's chain link; only a hook that loops over
/// records also gets a closure here.
public struct OperatorKernel<Input: Sendable, Output: Sendable> {
  /// The operator, for its per-task and per-checkpoint hooks.
  @usableFromInline let instance: any StreamOperator<Input, Output>
  @usableFromInline let process: ([Input], inout [Output]) throws -> Void
  @usableFromInline let finish: (inout [Output]) throws -> Void
  /// `nil`: watermarks pass through unchanged (stateless batch functions).
  @usableFromInline let watermark: ((Int64, inout [Output]) throws -> Int64?)?
  /// `nil`: the operator does nothing on processing time.
  @usableFromInline let tick: ((inout [Output]) throws -> Void)?

  /// Wraps `op`.
  @inlinable
  public init<Op: StreamOperator>(_ op: Op) where Op.Input == Input, Op.Output == Output {
    instance = op
    process = { try op.processBatch($0, into: &$1) }
    finish = { try op.endOfInput(into: &$0) }
    watermark = { try op.processWatermark($0, into: &$1) }
    tick = { try op.onTick(into: &$0) }
  }

  /// A stateless kernel from a batch function: a ``BatchFunctionOperator``
  /// whose watermarks pass through without a call.
  @inlinable
  public init(process: @escaping ([Input], inout [Output]) throws -> Void) {
    instance = BatchFunctionOperator(process)
    self.process = process
    finish = { _ in }
    watermark = nil
    tick = nil
  }
}

/// A stateless operator made of one batch function; every other hook is the
/// default. Used by one task.
public final class BatchFunctionOperator<Input: Sendable, Output: Sendable>: StreamOperator {
  @usableFromInline let function: ([Input], inout [Output]) throws -> Void
  /// Wraps `function`.
  @inlinable
  public init(_ function: @escaping ([Input], inout [Output]) throws -> Void) {
    self.function = function
  }
  /// Calls the function.
  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [Output]) throws {
    try function(batch, &output)
  }
}

/// Creates one kernel per subtask.
public typealias KernelFactory<Input: Sendable, Output: Sendable> =
  @Sendable (OperatorContext) throws -> OperatorKernel<Input, Output>
