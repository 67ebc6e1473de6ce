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
  /// Processes `batch` in order like ``processBatch(_:into:)``, and may move
  /// its records out instead of copying them (which saves a retain and a
  /// release of every reference a record holds): the engine calls this hook,
  /// with a batch it no longer needs; what is left in `batch` afterwards,
  /// empty or not, is discarded. The default calls ``processBatch(_:into:)``.
  func processBatch(taking batch: inout [Input], into output: inout [Output]) throws
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
  @inlinable
  public func processBatch(taking batch: inout [Input], into output: inout [Output]) throws {
    try processBatch(batch, into: &output)
  }
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
  /// Takes the batch (see ``StreamOperator/processBatch(taking:into:)``).
  @usableFromInline let process: (inout [Input], inout [Output]) throws -> Void
  /// Reads a batch that other tasks may be reading too (a fan-out), without
  /// modifying it (see ``StreamOperator/processBatch(_:into:)``); `nil`: the
  /// engine copies such a batch and calls ``process`` on the copy.
  @usableFromInline let processShared: (([Input], inout [Output]) throws -> Void)?
  @usableFromInline let finish: (inout [Output]) throws -> Void
  /// `nil`: watermarks pass through unchanged (stateless batch functions).
  @usableFromInline let watermark: ((Int64, inout [Output]) throws -> Int64?)?
  /// `nil`: the operator does nothing on processing time.
  @usableFromInline let tick: ((inout [Output]) throws -> Void)?

  /// Wraps `op`.
  @inlinable
  public init<Op: StreamOperator>(_ op: Op) where Op.Input == Input, Op.Output == Output {
    instance = op
    process = { try op.processBatch(taking: &$0, into: &$1) }
    processShared = { try op.processBatch($0, into: &$1) }
    finish = { try op.endOfInput(into: &$0) }
    watermark = { try op.processWatermark($0, into: &$1) }
    tick = { try op.onTick(into: &$0) }
  }

  /// A stateless kernel from a batch function: a ``BatchFunctionOperator``
  /// whose watermarks pass through without a call.
  @inlinable
  public init(process: @escaping ([Input], inout [Output]) throws -> Void) {
    self.init(batchFunction: BatchFunctionOperator(process))
  }

  /// A stateless kernel from a batch function that may move the records out
  /// of its input (see ``StreamOperator/processBatch(taking:into:)``).
  @inlinable
  public static func taking(
    _ process: @escaping (inout [Input], inout [Output]) throws -> Void
  ) -> OperatorKernel {
    OperatorKernel(batchFunction: BatchFunctionOperator(taking: process))
  }

  /// A stateless kernel from two forms of one batch function: `take` may
  /// move the records out of a batch the task owns; `read` reads a batch that
  /// other tasks may be reading too (a fan-out) and copies only what it
  /// emits, where taking would first copy the whole batch. Both must emit the
  /// same records.
  @inlinable
  public static func taking(
    _ take: @escaping (inout [Input], inout [Output]) throws -> Void,
    reading read: @escaping ([Input], inout [Output]) throws -> Void
  ) -> OperatorKernel {
    OperatorKernel(batchFunction: BatchFunctionOperator(taking: take, reading: read))
  }

  @inlinable
  init(batchFunction op: BatchFunctionOperator<Input, Output>) {
    instance = op
    self.process = op.function
    processShared = op.readFunction
    finish = { _ in }
    watermark = nil
    tick = nil
  }
}

extension OperatorKernel where Input == Output {
  /// A stateless kernel whose output is its input: it hands the batch on
  /// (moving it, not copying its records).
  @inlinable
  public static func passingThrough() -> OperatorKernel {
    .taking { batch, output in batch.moveAll(onto: &output) }
  }
}

/// A stateless operator made of one batch function; every other hook is the
/// default. Used by one task.
public final class BatchFunctionOperator<Input: Sendable, Output: Sendable>: StreamOperator {
  @usableFromInline let function: (inout [Input], inout [Output]) throws -> Void
  /// The function's form that only reads its batch, if it has one.
  @usableFromInline let readFunction: (([Input], inout [Output]) throws -> Void)?
  /// Wraps `function`, which reads its batch.
  @inlinable
  public init(_ function: @escaping ([Input], inout [Output]) throws -> Void) {
    self.function = { batch, output in try function(batch, &output) }
    readFunction = function
  }
  /// Wraps `function`, which may move the records out of its batch.
  @inlinable
  public init(taking function: @escaping (inout [Input], inout [Output]) throws -> Void) {
    self.function = function
    readFunction = nil
  }
  /// Wraps `take`, which may move the records out of its batch, and `read`,
  /// which reads a batch in place and emits the same records.
  @inlinable
  public init(
    taking take: @escaping (inout [Input], inout [Output]) throws -> Void,
    reading read: @escaping ([Input], inout [Output]) throws -> Void
  ) {
    function = take
    readFunction = read
  }
  /// Calls the reading form on `batch`, else the function on a copy of it.
  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [Output]) throws {
    if let readFunction { return try readFunction(batch, &output) }
    var batch = batch
    try function(&batch, &output)
  }
  /// Calls the function.
  @inlinable
  public func processBatch(taking batch: inout [Input], into output: inout [Output]) throws {
    try function(&batch, &output)
  }
}

/// Creates one kernel per subtask.
public typealias KernelFactory<Input: Sendable, Output: Sendable> =
  @Sendable (OperatorContext) throws -> OperatorKernel<Input, Output>
