extension DataStream where T: BinaryCodable {
  /// Calls the asynchronous `function` on every record, with up to `capacity`
  /// calls in flight per subtask (Flink's `AsyncDataStream.orderedWait` /
  /// `unorderedWait`).
  ///
  /// Guarantees:
  /// - `ordered: true`: results leave in input order (per subtask).
  ///   `ordered: false`: results leave as calls complete, but never across a
  ///   watermark: every result of a record before a watermark is emitted
  ///   before the watermark, every later one after it.
  /// - At most `capacity` records per subtask are called and not yet emitted;
  ///   when full, the operator waits for a completion before it takes more
  ///   input (backpressure).
  /// - A call that takes longer than `timeout` is cancelled; then
  ///   `onTimeout(record)` gives its result (`nil`: no output for it), or,
  ///   without `onTimeout`, the job fails with ``AsyncCallTimeout`` (naming
  ///   the operator and the timeout) wrapped in
  ///   ``JobError/operatorFailed(operatorName:subtask:underlying:)``. An error
  ///   thrown by `function` fails the job the same way.
  /// - Records whose results were not emitted at a checkpoint barrier are part
  ///   of the checkpoint (hence `T: BinaryCodable`) and are called again after
  ///   a restore, before new input, at any parallelism: with a transactional
  ///   sink, no record is lost and none is emitted twice.
  /// - At end of input every call is awaited and its result emitted before the
  ///   stream ends; cancelling the job cancels the calls in flight.
  ///
  /// Results are picked up whenever the subtask handles input or a tick
  /// (``JobConfiguration/tickInterval``), so an idle input adds at most a tick
  /// of latency. Timestamps are dropped (re-declare them with ``withTimestamps(_:)``).
  public func asyncMap<U: Sendable>(
    name: String = "AsyncMap", capacity: Int, timeout: Duration, ordered: Bool = true,
    onTimeout: (@Sendable (T) throws -> U?)? = nil,
    _ function: @escaping @Sendable (T) async throws -> U
  ) -> DataStream<U> {
    precondition(capacity >= 1, "asyncMap needs a capacity of at least 1")
    precondition(timeout > .zero, "asyncMap needs a positive timeout")
    let spec = AsyncMapSpec<T, U>(
      function: function, capacity: capacity, timeout: timeout, ordered: ordered,
      onTimeout: onTimeout,
      encode: { $0.encodedBytes() },
      decode: { try [T].decode($0) })
    let node = environment.addNode(
      name: name, inputs: [edge],
      role: NodeRole<T, U>.transform { _ in
        OperatorKernel { _, _ in fatalError("asyncMap runs in its own link") }
      })
    node.linkMaker = { context, next in
      try AsyncMapLink(spec: spec, context: context, next: next as! Downstream<U>)
    }
    // Each subtask takes its share of every former subtask's records in flight.
    node.redistributesState = true
    return DataStream<U>(environment: environment, node: node)
  }
}
