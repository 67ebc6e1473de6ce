/// Two streams of possibly different types feeding one two-input operator
/// (``DataStream/connect(_:)``). Flink's `ConnectedStreams`.
///
/// The operator's tasks receive both inputs in one mailbox: records of each
/// input channel keep their order, the two inputs interleave in no particular
/// order; the operator's watermark is the minimum over both inputs (idle
/// inputs excluded); in exactly-once mode checkpoint barriers are aligned
/// across both; the operator ends when both inputs ended (either may be bounded).
public struct ConnectedStreams<A: Sendable, B: Sendable>: Sendable {
  /// The first input.
  public let first: DataStream<A>
  /// The second input.
  public let second: DataStream<B>

  @usableFromInline
  init(first: DataStream<A>, second: DataStream<B>) {
    self.first = first
    self.second = second
  }

  /// Adds the two-input operator made by `factory` (engine use by the builders).
  @usableFromInline
  func transform<Out: Sendable>(
    _ name: String, first firstEdge: LogicalEdge, second secondEdge: LogicalEdge,
    _ factory: @escaping KernelFactory<TwoInputRecord<A, B>, Out>
  ) -> DataStream<Out> {
    let node = first.environment.addNode(
      name: name, inputs: [firstEdge, secondEdge], role: .transform(factory),
      portMakers: [
        { mailbox in
          ConvertingPort<A, TwoInputRecord<A, B>>(mailbox as! Mailbox<TwoInputRecord<A, B>>) {
            .first($0)
          }
        },
        { mailbox in
          ConvertingPort<B, TwoInputRecord<A, B>>(mailbox as! Mailbox<TwoInputRecord<A, B>>) {
            .second($0)
          }
        },
      ])
    return DataStream<Out>(environment: first.environment, node: node)
  }

  /// Runs `function` on the records of both inputs.
  @inlinable
  public func process<F: CoProcessFunction>(name: String = "CoProcess", _ function: F)
    -> DataStream<F.Output> where F.Input1 == A, F.Input2 == B
  {
    let timestamp1 = first.timestampOf
    let timestamp2 = second.timestampOf
    return transform(name, first: first.edge, second: second.edge) { _ in
      OperatorKernel(
        CoProcessOperator(function: function, timestamp1: timestamp1, timestamp2: timestamp2))
    }
  }

  /// Runs `processFirst` on every record of the first input and
  /// `processSecond` on every record of the second; both emit into one stream.
  @inlinable
  public func process<Out: Sendable>(
    name: String = "CoProcess",
    _ processFirst: @escaping @Sendable (A, inout Collector<Out>) throws -> Void,
    _ processSecond: @escaping @Sendable (B, inout Collector<Out>) throws -> Void
  ) -> DataStream<Out> {
    process(name: name, ClosureCoProcessFunction(processFirst, processSecond))
  }

  /// Maps the records of both inputs into one output type.
  @inlinable
  public func map<Out: Sendable>(
    name: String = "CoMap", _ mapFirst: @escaping @Sendable (A) throws -> Out,
    _ mapSecond: @escaping @Sendable (B) throws -> Out
  ) -> DataStream<Out> {
    process(
      name: name, { a, out in out.emit(try mapFirst(a)) },
      { b, out in
        out.emit(try mapSecond(b))
      })
  }

  /// Replaces the records of both inputs by zero or more outputs each, in order.
  @inlinable
  public func flatMap<Out: Sendable>(
    name: String = "CoFlatMap", _ mapFirst: @escaping @Sendable (A) throws -> [Out],
    _ mapSecond: @escaping @Sendable (B) throws -> [Out]
  ) -> DataStream<Out> {
    process(
      name: name,
      { a, out in for value in try mapFirst(a) { out.emit(value) } },
      { b, out in for value in try mapSecond(b) { out.emit(value) } })
  }
}

/// Two keyed streams with the same key type feeding one keyed two-input
/// operator (``KeyedStream/connect(_:)``): records of equal keys from both
/// inputs reach the same subtask, where they share that key's state.
public struct ConnectedKeyedStreams<Key: BinaryCodable & Hashable, A: Sendable, B: Sendable>:
  Sendable
{
  /// The first input.
  public let first: KeyedStream<Key, A>
  /// The second input.
  public let second: KeyedStream<Key, B>

  @usableFromInline
  init(first: KeyedStream<Key, A>, second: KeyedStream<Key, B>) {
    self.first = first
    self.second = second
  }

  /// Runs `function` on the records of both inputs with their key's state and timers.
  @inlinable
  public func process<F: KeyedCoProcessFunction>(name: String = "KeyedCoProcess", _ function: F)
    -> DataStream<F.Output> where F.Key == Key, F.Input1 == A, F.Input2 == B
  {
    let key1 = first.keySelector
    let key2 = second.keySelector
    let timestamp1 = first.stream.timestampOf
    let timestamp2 = second.stream.timestampOf
    let connected = ConnectedStreams(first: first.stream, second: second.stream)
    return connected.transform(
      name,
      first: LogicalEdge(
        source: first.stream.node, requested: .hash,
        hashPartitioner: HashPartitioner<A>.byKey(key1),
        exchangeCut: ExchangeCut.make(A.self, key: key1)),
      second: LogicalEdge(
        source: second.stream.node, requested: .hash,
        hashPartitioner: HashPartitioner<B>.byKey(key2),
        exchangeCut: ExchangeCut.make(B.self, key: key2))
    ) { _ in
      OperatorKernel(
        KeyedCoProcessOperator(
          function: function, key1: key1, key2: key2, timestamp1: timestamp1,
          timestamp2: timestamp2))
    }
  }

  /// Runs `processFirst` and `processSecond` (which receive the key context)
  /// on the records of the two inputs.
  @inlinable
  public func process<Out: Sendable>(
    name: String = "KeyedCoProcess",
    _ processFirst:
      @escaping @Sendable (A, KeyedContext<Key>, inout Collector<Out>) throws ->
      Void,
    _ processSecond:
      @escaping @Sendable (B, KeyedContext<Key>, inout Collector<Out>) throws ->
      Void
  ) -> DataStream<Out> {
    process(name: name, ClosureKeyedCoProcessFunction(processFirst, processSecond))
  }
}

extension DataStream {
  /// Connects this stream (the first input) with `other` (the second) for a
  /// two-input operator: `process`, `map` or `flatMap` on the result.
  @inlinable
  public func connect<B: Sendable>(_ other: DataStream<B>) -> ConnectedStreams<T, B> {
    ConnectedStreams(first: self, second: other)
  }
}

extension KeyedStream {
  /// Connects this keyed stream with `other` (same key type) for a keyed
  /// two-input operator (``ConnectedKeyedStreams/process(name:_:)``).
  @inlinable
  public func connect<B: Sendable>(_ other: KeyedStream<Key, B>) -> ConnectedKeyedStreams<
    Key, T, B
  > {
    ConnectedKeyedStreams(first: self, second: other)
  }
}
