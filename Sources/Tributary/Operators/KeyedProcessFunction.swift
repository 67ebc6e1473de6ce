/// The keyed context of a keyed function: the current key, and the place to
/// declare keyed state.
///
/// One instance per subtask, used by that subtask's task only. ``key`` is
/// valid during `processElement` and while iterating keys with
/// ``forEachKey(of:_:)``.
public final class KeyedContext<Key: BinaryCodable & Hashable> {
  /// Where this function instance runs.
  public let operatorContext: OperatorContext
  /// The subtask's keyed state.
  public let stateBackend: KeyedStateBackend<Key>
  @usableFromInline var scratch = BinaryWriter(capacity: 32)
  /// The subtask's timers, created on first use so that functions without
  /// timers keep no timer state.
  @usableFromInline var timerService: TimerService<Key, VoidNamespace>?
  @usableFromInline var currentTimestamp: Int64?
  @usableFromInline var watermark: Int64 = .min

  @usableFromInline
  init(operatorContext: OperatorContext, stateBackend: KeyedStateBackend<Key>) throws {
    self.operatorContext = operatorContext
    self.stateBackend = stateBackend
  }

  /// The timer service, created when first needed.
  @usableFromInline
  var timers: TimerService<Key, VoidNamespace> {
    get throws {
      if let timerService { return timerService }
      let created = try TimerService<Key, VoidNamespace>(
        name: "process-timers", backend: stateBackend)
      created.storedWatermark = watermark
      timerService = created
      return created
    }
  }

  /// The event timestamp of the record being processed (the timer's time in
  /// `onTimer`), or `nil` when the stream has no timestamps.
  @inlinable public var timestamp: Int64? { currentTimestamp }

  /// The operator's current event time (its last watermark).
  @inlinable public var currentWatermark: Int64 { watermark }

  /// The current processing time (ms), from the job's injectable clock.
  public func currentProcessingTime() -> Int64 { operatorContext.processingClock.nowMillis() }

  /// Registers an event-time timer for the current key (a duplicate of an
  /// existing timer is ignored); it fires once the watermark reaches `time`.
  @inlinable
  public func registerEventTimeTimer(_ time: Int64) throws {
    try timers.register(.eventTime, at: time, key: key, namespace: VoidNamespace())
  }

  /// Deletes the current key's event-time timer at `time`, if any.
  @inlinable
  public func deleteEventTimeTimer(_ time: Int64) throws {
    try timers.delete(.eventTime, at: time, key: key, namespace: VoidNamespace())
  }

  /// Registers a processing-time timer for the current key; it fires once the
  /// processing clock reaches `time`.
  @inlinable
  public func registerProcessingTimeTimer(_ time: Int64) throws {
    try timers.register(.processingTime, at: time, key: key, namespace: VoidNamespace())
  }

  /// Deletes the current key's processing-time timer at `time`, if any.
  @inlinable
  public func deleteProcessingTimeTimer(_ time: Int64) throws {
    try timers.delete(.processingTime, at: time, key: key, namespace: VoidNamespace())
  }

  /// The key of the record being processed.
  @inlinable
  public var key: Key {
    guard let key = stateBackend.current.key else {
      preconditionFailure("KeyedContext.key used outside of a keyed call")
    }
    return key
  }

  /// The key group of ``key``.
  @inlinable
  public var keyGroup: Int {
    KeyGroups.keyGroup(
      of: key, maxParallelism: operatorContext.maxParallelism, scratch: &scratch)
  }

  /// Declares (or finds again) a ``ValueState``.
  /// - Throws: ``StateError`` when the name is taken by another kind of state.
  @inlinable
  public func state<V>(_ descriptor: ValueStateDescriptor<V>) throws -> ValueState<V> {
    ValueState(
      name: descriptor.name,
      access: try stateBackend.access(name: descriptor.name, kind: "value", ttl: descriptor.ttl))
  }

  /// Declares (or finds again) a ``ListState``.
  @inlinable
  public func state<E>(_ descriptor: ListStateDescriptor<E>) throws -> ListState<E> {
    ListState(
      name: descriptor.name,
      access: try stateBackend.access(name: descriptor.name, kind: "list", ttl: descriptor.ttl))
  }

  /// Declares (or finds again) a ``MapState``.
  @inlinable
  public func state<K, V>(_ descriptor: MapStateDescriptor<K, V>) throws -> MapState<K, V> {
    MapState(
      name: descriptor.name,
      access: try stateBackend.access(name: descriptor.name, kind: "map", ttl: descriptor.ttl))
  }

  /// Declares (or finds again) a ``ReducingState``.
  @inlinable
  public func state<V>(_ descriptor: ReducingStateDescriptor<V>) throws -> ReducingState<V> {
    ReducingState(
      name: descriptor.name,
      access: try stateBackend.access(
        name: descriptor.name, kind: "reducing", ttl: descriptor.ttl),
      reduce: descriptor.reduce)
  }

  /// Declares (or finds again) an ``AggregatingState``.
  @inlinable
  public func state<F>(_ descriptor: AggregatingStateDescriptor<F>) throws -> AggregatingState<F> {
    AggregatingState(
      name: descriptor.name,
      access: try stateBackend.access(
        name: descriptor.name, kind: "aggregating", ttl: descriptor.ttl),
      function: descriptor.function)
  }

  /// Calls `body` once for every key that has a value in state `name`, with
  /// that key set as the current key (so handles address it). Keys are
  /// collected first, so `body` may change state.
  public func forEachKey(inState name: String, _ body: (Key) throws -> Void) throws {
    let previous = stateBackend.current.key
    defer { stateBackend.current.key = previous }
    for key in try stateBackend.keys(inState: name) {
      stateBackend.current.key = key
      try body(key)
    }
  }

  /// Calls `body` once for every key that has a value in `state` (see ``forEachKey(inState:_:)``).
  public func forEachKey<V>(of state: ValueState<V>, _ body: (Key) throws -> Void) throws {
    try forEachKey(inState: state.name, body)
  }
}

/// A function on a keyed stream that may emit any number of outputs per input.
///
/// One copy runs per subtask; records of one key always reach the same copy,
/// in the order they were sent. Declare keyed state in ``open(_:)`` with
/// `context.state(…)`. All methods but ``processElement(_:context:out:)`` have
/// no-op defaults.
public protocol KeyedProcessFunction<Key, Input, Output>: Sendable {
  /// The key type.
  associatedtype Key: BinaryCodable & Hashable
  /// The record type consumed.
  associatedtype Input: Sendable
  /// The record type produced.
  associatedtype Output: Sendable

  /// Called once per subtask before the first record; declare state here.
  mutating func open(_ context: KeyedContext<Key>) throws
  /// Processes one record of the key `context.key`.
  mutating func processElement(
    _ value: Input, context: KeyedContext<Key>, out: inout Collector<Output>) throws
  /// A timer of key `context.key` fired at `timestamp` in `domain`; may emit
  /// and use state.
  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>) throws
  /// Called once after the last record of a bounded input, after the final
  /// watermark fired every event-time timer; may emit final results (iterate
  /// keys with ``KeyedContext/forEachKey(inState:_:)``).
  mutating func endOfInput(context: KeyedContext<Key>, out: inout Collector<Output>) throws
}

extension KeyedProcessFunction {
  public mutating func open(_ context: KeyedContext<Key>) throws {}
  public mutating func endOfInput(context: KeyedContext<Key>, out: inout Collector<Output>) throws {
  }
  public mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>
  ) throws {}
}

/// A ``KeyedProcessFunction`` made of a closure.
public struct ClosureKeyedProcessFunction<
  Key: BinaryCodable & Hashable, Input: Sendable, Output: Sendable
>: KeyedProcessFunction {
  @usableFromInline let body:
    @Sendable (Input, KeyedContext<Key>, inout Collector<Output>) throws -> Void

  /// Wraps `body`.
  @inlinable
  public init(
    _ body: @escaping @Sendable (Input, KeyedContext<Key>, inout Collector<Output>) throws -> Void
  ) {
    self.body = body
  }

  @inlinable
  public mutating func processElement(
    _ value: Input, context: KeyedContext<Key>, out: inout Collector<Output>
  ) throws {
    try body(value, context, &out)
  }
}
