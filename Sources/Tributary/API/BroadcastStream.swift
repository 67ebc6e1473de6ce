/// A stream whose every record reaches every subtask of the operator it is
/// connected to, which keeps a broadcast state described by ``descriptor``
/// (``DataStream/broadcast(_:)``). Flink's `BroadcastStream`.
public struct BroadcastStream<
  T: Sendable, MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable
>:
  Sendable
{
  /// The broadcast records (partitioned by broadcast).
  public let stream: DataStream<T>
  /// The broadcast state every connected subtask keeps.
  public let descriptor: MapStateDescriptor<MapKey, MapValue>

  @usableFromInline
  init(stream: DataStream<T>, descriptor: MapStateDescriptor<MapKey, MapValue>) {
    self.stream = stream
    self.descriptor = descriptor
  }
}

/// A stream connected with a ``BroadcastStream`` (`events.connect(rules)`);
/// ``process(name:_:)`` runs a ``BroadcastProcessFunction``.
public struct BroadcastConnectedStream<
  A: Sendable, B: Sendable, MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable
>: Sendable {
  /// The non-broadcast input.
  public let first: DataStream<A>
  /// The broadcast input.
  public let broadcast: BroadcastStream<B, MapKey, MapValue>

  @usableFromInline
  init(first: DataStream<A>, broadcast: BroadcastStream<B, MapKey, MapValue>) {
    self.first = first
    self.broadcast = broadcast
  }

  /// Runs `function` on both inputs: every subtask gets every broadcast record
  /// and keeps the broadcast state; its snapshot is restored to every subtask
  /// at any parallelism.
  @inlinable
  public func process<F: BroadcastProcessFunction>(name: String = "BroadcastProcess", _ function: F)
    -> DataStream<F.Output>
  where F.Input == A, F.Broadcast == B, F.MapKey == MapKey, F.MapValue == MapValue {
    let stateName = broadcast.descriptor.name
    let timestamp1 = first.timestampOf
    let timestamp2 = broadcast.stream.timestampOf
    let connected = ConnectedStreams(first: first, second: broadcast.stream)
    let result = connected.transform(
      name, first: first.edge,
      second: LogicalEdge(
        source: broadcast.stream.node, requested: .broadcast, hashPartitioner: nil)
    ) { _ in
      OperatorKernel(
        BroadcastProcessOperator(
          function: function, stateName: stateName, timestamp1: timestamp1,
          timestamp2: timestamp2))
    }
    // Every subtask restores from the former subtasks' snapshots (it takes the first).
    result.node.redistributesState = true
    return result
  }
}

/// A keyed stream connected with a ``BroadcastStream``
/// (`events.keyBy { … }.connect(rules)`); ``process(name:_:)`` runs a
/// ``KeyedBroadcastProcessFunction``.
public struct KeyedBroadcastConnectedStream<
  Key: BinaryCodable & Hashable, A: Sendable, B: Sendable, MapKey: BinaryCodable & Hashable,
  MapValue: BinaryCodable
>: Sendable {
  /// The keyed input.
  public let first: KeyedStream<Key, A>
  /// The broadcast input.
  public let broadcast: BroadcastStream<B, MapKey, MapValue>

  @usableFromInline
  init(first: KeyedStream<Key, A>, broadcast: BroadcastStream<B, MapKey, MapValue>) {
    self.first = first
    self.broadcast = broadcast
  }

  /// Runs `function` on both inputs: keyed records with their key's state and
  /// timers, broadcast records on every subtask.
  @inlinable
  public func process<F: KeyedBroadcastProcessFunction>(
    name: String = "KeyedBroadcastProcess", _ function: F
  ) -> DataStream<F.Output>
  where
    F.Key == Key, F.Input == A, F.Broadcast == B, F.MapKey == MapKey, F.MapValue == MapValue
  {
    let stateName = broadcast.descriptor.name
    let key = first.keySelector
    let timestamp1 = first.stream.timestampOf
    let timestamp2 = broadcast.stream.timestampOf
    let connected = ConnectedStreams(first: first.stream, second: broadcast.stream)
    return connected.transform(
      name,
      first: LogicalEdge(
        source: first.stream.node, requested: .hash, hashPartitioner: HashPartitioner<A>.byKey(key)),
      second: LogicalEdge(
        source: broadcast.stream.node, requested: .broadcast, hashPartitioner: nil)
    ) { _ in
      OperatorKernel(
        KeyedBroadcastProcessOperator(
          function: function, stateName: stateName, key: key, timestamp1: timestamp1,
          timestamp2: timestamp2))
    }
  }
}

extension DataStream {
  /// This stream broadcast to every subtask of the operator it is connected
  /// to, which keeps the broadcast state `descriptor` (Flink's
  /// `broadcast(MapStateDescriptor)`).
  @inlinable
  public func broadcast<K: BinaryCodable & Hashable, V: BinaryCodable>(
    _ descriptor: MapStateDescriptor<K, V>
  ) -> BroadcastStream<T, K, V> {
    BroadcastStream(stream: self, descriptor: descriptor)
  }

  /// Connects this stream with the broadcast stream `broadcast` for a
  /// ``BroadcastProcessFunction``.
  @inlinable
  public func connect<B: Sendable, K: BinaryCodable & Hashable, V: BinaryCodable>(
    _ broadcast: BroadcastStream<B, K, V>
  ) -> BroadcastConnectedStream<T, B, K, V> {
    BroadcastConnectedStream(first: self, broadcast: broadcast)
  }
}

extension KeyedStream {
  /// Connects this keyed stream with the broadcast stream `broadcast` for a
  /// ``KeyedBroadcastProcessFunction``.
  @inlinable
  public func connect<B: Sendable, K: BinaryCodable & Hashable, V: BinaryCodable>(
    _ broadcast: BroadcastStream<B, K, V>
  ) -> KeyedBroadcastConnectedStream<Key, T, B, K, V> {
    KeyedBroadcastConnectedStream(first: self, broadcast: broadcast)
  }
}
