/// What ``BroadcastProcessFunction/processElement(_:context:out:)`` sees: the
/// broadcast state, read-only, and the record's time. Flink's
/// `ReadOnlyContext` of a `BroadcastProcessFunction`.
public final class ReadOnlyBroadcastContext<
  MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable
> {
  /// The subtask's runtime information.
  public let operatorContext: OperatorContext
  @usableFromInline let state: BroadcastState<MapKey, MapValue>
  @usableFromInline var currentTimestamp: Int64?
  @usableFromInline var watermark: Int64 = .min

  @usableFromInline
  init(operatorContext: OperatorContext, state: BroadcastState<MapKey, MapValue>) {
    self.operatorContext = operatorContext
    self.state = state
  }

  /// The value of `key` in the broadcast state, if any.
  @inlinable public func broadcastValue(_ key: MapKey) -> MapValue? { state.get(key) }
  /// Every entry of the broadcast state.
  @inlinable public var broadcastEntries: [MapKey: MapValue] { state.all }
  /// The current record's event timestamp (ms), when its stream has timestamps.
  @inlinable public var timestamp: Int64? { currentTimestamp }
  /// The operator's event time (minimum over both inputs); `Int64.min` before the first watermark.
  @inlinable public var currentWatermark: Int64 { watermark }
}

/// What `processBroadcastElement` sees: the broadcast state to change, and
/// the record's time. Flink's `Context` of a broadcast function.
public final class BroadcastContext<MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable> {
  /// The subtask's runtime information.
  public let operatorContext: OperatorContext
  /// The broadcast state: change it the same way on every subtask (from the
  /// broadcast record alone), so every subtask keeps the same map.
  public let broadcastState: BroadcastState<MapKey, MapValue>
  @usableFromInline var currentTimestamp: Int64?
  @usableFromInline var watermark: Int64 = .min

  @usableFromInline
  init(operatorContext: OperatorContext, state: BroadcastState<MapKey, MapValue>) {
    self.operatorContext = operatorContext
    self.broadcastState = state
  }

  /// The current record's event timestamp (ms), when its stream has timestamps.
  @inlinable public var timestamp: Int64? { currentTimestamp }
  /// The operator's event time (minimum over both inputs); `Int64.min` before the first watermark.
  @inlinable public var currentWatermark: Int64 { watermark }
}

/// A function over a stream connected with a broadcast stream
/// (`events.connect(rules)` with `rules = stream.broadcast(descriptor)`):
/// every subtask sees every broadcast record and keeps the broadcast state;
/// the records of the other stream are read against it. Flink's
/// `BroadcastProcessFunction`.
///
/// Guarantees: calls on one subtask come from one task; broadcast records
/// arrive at every subtask in the order they were produced (per producing
/// subtask); the two inputs interleave in no particular order (use event time
/// and timers when the order matters).
public protocol BroadcastProcessFunction<Input, Broadcast, Output>: Sendable {
  /// Records of the non-broadcast input.
  associatedtype Input: Sendable
  /// Records of the broadcast input.
  associatedtype Broadcast: Sendable
  /// What the function emits.
  associatedtype Output: Sendable
  /// The broadcast state's key type.
  associatedtype MapKey: BinaryCodable & Hashable
  /// The broadcast state's value type.
  associatedtype MapValue: BinaryCodable

  /// Reads `value` against the broadcast state.
  mutating func processElement(
    _ value: Input, context: ReadOnlyBroadcastContext<MapKey, MapValue>,
    out: inout Collector<Output>) throws
  /// Applies the broadcast record `value`, typically to the broadcast state.
  mutating func processBroadcastElement(
    _ value: Broadcast, context: BroadcastContext<MapKey, MapValue>, out: inout Collector<Output>)
    throws
}

/// What ``KeyedBroadcastProcessFunction/processElement(_:context:out:)`` and
/// its `onTimer` see: the broadcast state, read-only, and the current key's
/// state and timers (``keyed``). Flink's `ReadOnlyContext` of a
/// `KeyedBroadcastProcessFunction`.
public final class ReadOnlyKeyedBroadcastContext<
  Key: BinaryCodable & Hashable, MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable
> {
  /// The current key's state, timers, timestamp and watermark.
  public let keyed: KeyedContext<Key>
  @usableFromInline let state: BroadcastState<MapKey, MapValue>

  @usableFromInline
  init(keyed: KeyedContext<Key>, state: BroadcastState<MapKey, MapValue>) {
    self.keyed = keyed
    self.state = state
  }

  /// The value of `key` in the broadcast state, if any.
  @inlinable public func broadcastValue(_ key: MapKey) -> MapValue? { state.get(key) }
  /// Every entry of the broadcast state.
  @inlinable public var broadcastEntries: [MapKey: MapValue] { state.all }
  /// The current record's (or firing timer's) key.
  @inlinable public var key: Key { keyed.key }
  /// The current record's event timestamp (ms), or the firing timer's time.
  @inlinable public var timestamp: Int64? { keyed.timestamp }
}

/// What `processBroadcastElement` of a keyed broadcast function sees: the
/// broadcast state to change, and every key's state through
/// ``applyToKeyedState(_:_:)``. There is no current key. Flink's `Context` of
/// a `KeyedBroadcastProcessFunction`.
public final class KeyedBroadcastContext<
  Key: BinaryCodable & Hashable, MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable
> {
  /// The subtask's keyed context (for its watermark and processing time; it
  /// has no current key here).
  public let keyed: KeyedContext<Key>
  /// The broadcast state: change it the same way on every subtask (from the
  /// broadcast record alone), so every subtask keeps the same map.
  public let broadcastState: BroadcastState<MapKey, MapValue>
  @usableFromInline var currentTimestamp: Int64?

  @usableFromInline
  init(keyed: KeyedContext<Key>, state: BroadcastState<MapKey, MapValue>) {
    self.keyed = keyed
    self.broadcastState = state
  }

  /// The broadcast record's event timestamp (ms), when its stream has timestamps.
  @inlinable public var timestamp: Int64? { currentTimestamp }

  /// Calls `body` with every key of this subtask that has a value in the
  /// value state `descriptor`, that key being current (so `state` reads and
  /// writes its value). Keys are visited in no particular order; changing
  /// other keys' state inside `body` is not allowed.
  public func applyToKeyedState<V: BinaryCodable>(
    _ descriptor: ValueStateDescriptor<V>, _ body: (Key, ValueState<V>) throws -> Void
  ) throws {
    let state = try keyed.state(descriptor)
    try visitKeys(of: descriptor.name) { key in try body(key, state) }
  }

  /// Calls `body` with every key of this subtask that has entries in the
  /// map state `descriptor`, that key being current.
  public func applyToKeyedState<K: BinaryCodable & Hashable, V: BinaryCodable>(
    _ descriptor: MapStateDescriptor<K, V>, _ body: (Key, MapState<K, V>) throws -> Void
  ) throws {
    let state = try keyed.state(descriptor)
    try visitKeys(of: descriptor.name) { key in try body(key, state) }
  }

  /// Calls `body` with every key of this subtask that has entries in the
  /// list state `descriptor`, that key being current.
  public func applyToKeyedState<E: BinaryCodable>(
    _ descriptor: ListStateDescriptor<E>, _ body: (Key, ListState<E>) throws -> Void
  ) throws {
    let state = try keyed.state(descriptor)
    try visitKeys(of: descriptor.name) { key in try body(key, state) }
  }

  private func visitKeys(of name: String, _ body: (Key) throws -> Void) throws {
    let current = keyed.stateBackend.current
    let keys = try keyed.stateBackend.keys(inState: name)
    defer { current.key = nil }
    for key in keys {
      current.key = key
      try body(key)
    }
  }
}

/// A function over a keyed stream connected with a broadcast stream
/// (`events.keyBy { … }.connect(rules)`): `processElement` reads the
/// broadcast state and uses the current key's state and timers;
/// `processBroadcastElement` changes the broadcast state and may visit every
/// key's state. Flink's `KeyedBroadcastProcessFunction`.
///
/// Guarantees: as ``BroadcastProcessFunction``; keyed state and timers are
/// checkpointed per key group, the broadcast state once per subtask.
public protocol KeyedBroadcastProcessFunction<Key, Input, Broadcast, Output>: Sendable {
  /// The key type of the keyed input.
  associatedtype Key: BinaryCodable & Hashable
  /// Records of the keyed input.
  associatedtype Input: Sendable
  /// Records of the broadcast input.
  associatedtype Broadcast: Sendable
  /// What the function emits.
  associatedtype Output: Sendable
  /// The broadcast state's key type.
  associatedtype MapKey: BinaryCodable & Hashable
  /// The broadcast state's value type.
  associatedtype MapValue: BinaryCodable

  /// Called once per subtask before any record (declare keyed state here).
  mutating func open(_ context: KeyedContext<Key>) throws
  /// Reads `value` (its key current) against the broadcast state.
  mutating func processElement(
    _ value: Input, context: ReadOnlyKeyedBroadcastContext<Key, MapKey, MapValue>,
    out: inout Collector<Output>) throws
  /// Applies the broadcast record `value` (no key is current).
  mutating func processBroadcastElement(
    _ value: Broadcast, context: KeyedBroadcastContext<Key, MapKey, MapValue>,
    out: inout Collector<Output>) throws
  /// A timer of the current key fired at `time`.
  mutating func onTimer(
    _ time: Int64, domain: TimeDomain,
    context: ReadOnlyKeyedBroadcastContext<Key, MapKey, MapValue>, out: inout Collector<Output>)
    throws
}

extension KeyedBroadcastProcessFunction {
  /// Does nothing.
  public mutating func open(_ context: KeyedContext<Key>) throws {}
  /// Does nothing.
  public mutating func onTimer(
    _ time: Int64, domain: TimeDomain,
    context: ReadOnlyKeyedBroadcastContext<Key, MapKey, MapValue>, out: inout Collector<Output>
  ) throws {}
}
