extension StreamEnvironment {
  /// Adds a source whose readers `factory` makes, one per subtask: the entry
  /// point for connectors in other modules.
  ///
  /// - Parameters:
  ///   - redistributesPositions: on restore, every subtask receives the
  ///     positions of all former subtasks in ``OperatorContext/restoredState``
  ///     and keeps those of the splits it reads now, so the job may be restored
  ///     at another parallelism (a split source). Otherwise each subtask gets
  ///     its own former position, and a restore needs the same parallelism.
  ///   - timestamp: the records' event time, when the source itself emits
  ///     watermarks through ``SourceReader/signals`` (per-split watermarks);
  ///     the stream then carries these timestamps like one after
  ///     ``DataStream/assignTimestampsAndWatermarks(_:name:)``.
  ///   - factory: makes a subtask's reader; it runs on the subtask's task and
  ///     may throw (the job fails naming the source and subtask).
  @inlinable
  public func source<T: Sendable>(
    name: String, redistributesPositions: Bool = false,
    timestamp: (@Sendable (T) -> Int64)? = nil,
    _ factory: @escaping SourceFactory<T>
  ) -> DataStream<T> {
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: nil))
    node.redistributesState = redistributesPositions
    return DataStream(environment: self, node: node, timestampOf: timestamp)
  }
}
