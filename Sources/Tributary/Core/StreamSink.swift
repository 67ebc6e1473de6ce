/// The end of a pipeline: consumes batches of records.
///
/// The engine calls one instance from one task only: `open`, any number of
/// `write` (batches in the order the subtask received them), `finish` once when
/// the input ended (flush here: ``StreamEnvironment/execute()`` returns only
/// after every sink finished), and always `close`, also after failure or
/// cancellation. A thrown error fails the job, naming the sink and subtask.
public protocol StreamSink<Input>: AnyObject, SendableMetatype {
  /// The record type consumed.
  associatedtype Input: Sendable
  /// Prepares the sink before the first batch.
  func open(_ context: OperatorContext) throws
  /// Consumes a non-empty batch.
  func write(_ batch: [Input]) throws
  /// The input ended: make everything written durable or visible.
  func finish() throws
  /// Pre-commits what was written since the last checkpoint and returns the
  /// transaction to commit once checkpoint `checkpoint` completes (`nil`: not
  /// transactional). The job's ``SinkCommitter`` commits it.
  func snapshotState(checkpoint: Int64) throws -> [UInt8]?
  /// After ``finish()``: the last transaction, committed by the job's final checkpoint.
  func finalState() throws -> [UInt8]?
  /// The input's event time advanced to `watermark` (Flink's
  /// `SinkWriter.writeWatermark`): a sink feeding another job or instance
  /// passes it on; others ignore it (the default).
  func writeWatermark(_ watermark: Int64) throws
  /// The input went idle (`true`) or active again; ignored by default.
  func idlenessChanged(_ isIdle: Bool) throws
  /// Processing time passed (about every tick interval, also without input):
  /// time-based flushes go here; nothing by default.
  func tick() throws
  /// Releases resources.
  func close()
}

extension StreamSink {
  public func open(_ context: OperatorContext) throws {}
  public func finish() throws {}
  public func snapshotState(checkpoint: Int64) throws -> [UInt8]? { nil }
  public func finalState() throws -> [UInt8]? { nil }
  public func writeWatermark(_ watermark: Int64) throws {}
  public func idlenessChanged(_ isIdle: Bool) throws {}
  public func tick() throws {}
  public func close() {}
}

/// A sink instance as the engine runs it: the sink itself for the hooks
/// called once per task or per checkpoint, and a closure for ``StreamSink/write(_:)``,
/// specialised where it is built (see ``OperatorKernel``).
public struct SinkKernel<Input: Sendable> {
  /// The sink, for its per-task and per-checkpoint hooks.
  @usableFromInline let instance: any StreamSink<Input>
  @usableFromInline let write: ([Input]) throws -> Void

  /// Wraps `sink`.
  @inlinable
  public init<S: StreamSink>(_ sink: S) where S.Input == Input {
    instance = sink
    write = { try sink.write($0) }
  }
}

/// Creates one sink instance per subtask.
public typealias SinkFactory<Input: Sendable> =
  @Sendable (OperatorContext) throws -> SinkKernel<
    Input
  >
