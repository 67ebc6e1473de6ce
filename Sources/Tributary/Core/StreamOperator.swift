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
  /// Watermarks and idleness the operator itself wants to emit; drained by the
  /// engine after every call. `nil` for operators that generate none.
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

/// An operator instance seen through closures, so that the engine can run it
/// without knowing its concrete type. Built in `@inlinable` API code, the
/// closures are specialised for the concrete record types: the per-record
/// loop never goes through generic or existential dispatch.
public struct OperatorKernel<Input: Sendable, Output: Sendable> {
  @usableFromInline let open: (OperatorContext) throws -> Void
  @usableFromInline let process: ([Input], inout [Output]) throws -> Void
  @usableFromInline let finish: (inout [Output]) throws -> Void
  @usableFromInline let close: () -> Void
  @usableFromInline let watermark: ((Int64, inout [Output]) throws -> Int64?)?
  @usableFromInline let tick: ((inout [Output]) throws -> Void)?
  @usableFromInline let signals: () -> ControlSignals?
  @usableFromInline let snapshot:
    ((SnapshotRequest) throws -> (@Sendable () throws -> OperatorSnapshot)?)?

  /// Wraps `op`.
  @inlinable
  public init<Op: StreamOperator>(_ op: Op) where Op.Input == Input, Op.Output == Output {
    open = { try op.open($0) }
    process = { try op.processBatch($0, into: &$1) }
    finish = { try op.endOfInput(into: &$0) }
    close = { op.close() }
    watermark = { try op.processWatermark($0, into: &$1) }
    tick = { try op.onTick(into: &$0) }
    signals = { op.controlSignals }
    snapshot = { try op.prepareSnapshot($0) }
  }

  /// A stateless kernel from a batch function (watermarks pass through).
  @inlinable
  public init(process: @escaping ([Input], inout [Output]) throws -> Void) {
    open = { _ in }
    self.process = process
    finish = { _ in }
    close = {}
    watermark = nil
    tick = nil
    signals = { nil }
    snapshot = nil
  }
}

/// Creates one kernel per subtask.
public typealias KernelFactory<Input: Sendable, Output: Sendable> =
  @Sendable (OperatorContext) throws -> OperatorKernel<Input, Output>
