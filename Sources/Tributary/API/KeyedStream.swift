/// A stream partitioned by key: every record of one key goes to the same
/// subtask (the owner of the key's key group) and keeps its order.
public struct KeyedStream<Key: BinaryCodable & Hashable, T: Sendable>: Sendable {
  @usableFromInline let stream: DataStream<T>
  @usableFromInline let keySelector: @Sendable (T) -> Key

  @usableFromInline
  init(stream: DataStream<T>, keySelector: @escaping @Sendable (T) -> Key) {
    self.stream = stream
    self.keySelector = keySelector
  }

  /// Adds a keyed operator consuming this stream over a hash-partitioned edge.
  @inlinable
  public func transform<U: Sendable>(
    _ name: String, _ factory: @escaping KernelFactory<T, U>
  ) -> DataStream<U> {
    let edge = LogicalEdge(
      source: stream.node, requested: .hash,
      hashPartitioner: HashPartitioner<T>.byKey(keySelector),
      exchangeCut: ExchangeCut.make(T.self, key: keySelector))
    let node = stream.environment.addNode(name: name, inputs: [edge], role: .transform(factory))
    return DataStream<U>(environment: stream.environment, node: node)
  }

  /// Runs `function` on every record with its key; it may emit any number of outputs.
  @inlinable
  public func process<F: KeyedProcessFunction>(
    name: String = "KeyedProcess", _ function: F
  ) -> DataStream<F.Output> where F.Key == Key, F.Input == T {
    let keySelector = self.keySelector
    let timestampOf = stream.timestampOf
    return transform(name) { _ in
      OperatorKernel(
        KeyedProcessOperator(
          function: function, keySelector: keySelector, timestampOf: timestampOf))
    }
  }

  /// Runs `body` on every record with its key context; it may emit any number of outputs.
  @inlinable
  public func process<U: Sendable>(
    name: String = "KeyedProcess",
    _ body: @escaping @Sendable (T, KeyedContext<Key>, inout Collector<U>) throws -> Void
  ) -> DataStream<U> {
    process(name: name, ClosureKeyedProcessFunction(body))
  }

}

extension KeyedStream where T: BinaryCodable {
  /// A rolling reduce: for every record, emits `combine(previous result, record)`
  /// for its key (the first record of a key is emitted as it is). The running
  /// result is keyed state (a ``ReducingState``) in the job's state backend.
  @inlinable
  public func reduce(
    name: String = "Reduce", _ combine: @escaping @Sendable (T, T) throws -> T
  ) -> DataStream<T> {
    process(name: name, RollingReduce<Key, T>(combine: combine))
  }
}

/// The keyed function behind ``KeyedStream/reduce(name:_:)``.
public struct RollingReduce<Key: BinaryCodable & Hashable, T: BinaryCodable>: KeyedProcessFunction {
  @usableFromInline let combine: @Sendable (T, T) throws -> T
  @usableFromInline var state: ReducingState<T>?

  /// Creates the function.
  @inlinable
  public init(combine: @escaping @Sendable (T, T) throws -> T) { self.combine = combine }

  @inlinable
  public mutating func open(_ context: KeyedContext<Key>) throws {
    state = try context.state(ReducingStateDescriptor<T>("reduce", reduce: combine))
  }

  @inlinable
  public mutating func processElement(
    _ value: T, context: KeyedContext<Key>, out: inout Collector<T>
  ) throws {
    try state!.add(value)
    out.emit(try state!.get()!)
  }
}

extension DataStream {
  /// Partitions the stream by `key`: records of one key reach one subtask of
  /// the next operator, in order. The key's subtask depends only on its
  /// ``BinaryCodable`` encoding (stable across processes and runs).
  @inlinable
  public func keyBy<Key: BinaryCodable & Hashable>(
    _ key: @escaping @Sendable (T) -> Key
  ) -> KeyedStream<Key, T> {
    KeyedStream(stream: self, keySelector: key)
  }
}
