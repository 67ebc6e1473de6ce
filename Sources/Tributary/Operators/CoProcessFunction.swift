/// What a ``CoProcessFunction`` sees besides the record: the subtask, the
/// record's event timestamp and the operator's event time.
///
/// Used by one subtask's task only. Timers need a keyed stream (as in Flink):
/// use ``KeyedCoProcessFunction`` on two connected keyed streams.
public final class CoProcessContext {
  /// The subtask's runtime information.
  public let operatorContext: OperatorContext
  @usableFromInline var currentTimestamp: Int64?
  @usableFromInline var watermark: Int64 = .min

  /// The current record's event timestamp (ms), when its stream has timestamps.
  public var timestamp: Int64? { currentTimestamp }
  /// The operator's event time: the minimum of both inputs' watermarks
  /// (idle inputs excluded); `Int64.min` before the first watermark.
  public var currentWatermark: Int64 { watermark }

  @usableFromInline
  init(operatorContext: OperatorContext) { self.operatorContext = operatorContext }

  /// The processing time (ms since 1970) from the job's clock.
  public func currentProcessingTime() -> Int64 { operatorContext.processingClock.nowMillis() }
}

/// A function over two connected streams: each record of the first input
/// goes to ``processElement1(_:context:out:)``, each of the second to
/// ``processElement2(_:context:out:)``; both may emit any number of outputs
/// of one type. Flink's `CoProcessFunction`.
///
/// Guarantees: calls on one subtask come from one task, in arrival order per
/// input channel; records of the two inputs interleave in no particular
/// order. ``endOfInput(context:out:)`` is called once after both inputs
/// ended (not on failure or cancellation). A thrown error fails the job.
public protocol CoProcessFunction<Input1, Input2, Output>: Sendable {
  /// The first input's record type.
  associatedtype Input1: Sendable
  /// The second input's record type.
  associatedtype Input2: Sendable
  /// The output record type.
  associatedtype Output: Sendable

  /// Called once per subtask before the first record.
  mutating func open(_ context: CoProcessContext) throws
  /// Processes one record of the first input.
  mutating func processElement1(
    _ value: Input1, context: CoProcessContext, out: inout Collector<Output>) throws
  /// Processes one record of the second input.
  mutating func processElement2(
    _ value: Input2, context: CoProcessContext, out: inout Collector<Output>) throws
  /// Called once after both inputs ended.
  mutating func endOfInput(context: CoProcessContext, out: inout Collector<Output>) throws
}

extension CoProcessFunction {
  public mutating func open(_ context: CoProcessContext) throws {}
  public mutating func endOfInput(context: CoProcessContext, out: inout Collector<Output>) throws {}
}

/// A function over two connected keyed streams with the same key type: both
/// inputs see the same keyed state of the current key (every state type,
/// with TTL), event- and processing-time timers (``onTimer(_:domain:context:out:)``)
/// and ``endOfInput(context:out:)`` with ``KeyedContext/forEachKey(of:_:)``.
/// Flink's `KeyedCoProcessFunction`.
///
/// Guarantees: as ``KeyedProcessFunction``, per input; the operator's event
/// time is the minimum of both inputs' watermarks (idle inputs excluded), and
/// event-time timers fire when it passes them. State and timers are
/// checkpointed with barriers aligned across both inputs (exactly-once) and
/// restored, also at another parallelism.
public protocol KeyedCoProcessFunction<Key, Input1, Input2, Output>: Sendable {
  /// The key type of both inputs.
  associatedtype Key: BinaryCodable & Hashable
  /// The first input's record type.
  associatedtype Input1: Sendable
  /// The second input's record type.
  associatedtype Input2: Sendable
  /// The output record type.
  associatedtype Output: Sendable

  /// Called once per subtask before the first record; declare state here.
  mutating func open(_ context: KeyedContext<Key>) throws
  /// Processes one record of the first input (its key is current).
  mutating func processElement1(
    _ value: Input1, context: KeyedContext<Key>, out: inout Collector<Output>) throws
  /// Processes one record of the second input (its key is current).
  mutating func processElement2(
    _ value: Input2, context: KeyedContext<Key>, out: inout Collector<Output>) throws
  /// A timer of the current key fired at `timestamp` in `domain`.
  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>) throws
  /// Called once after both inputs ended (after every event-time timer fired).
  mutating func endOfInput(context: KeyedContext<Key>, out: inout Collector<Output>) throws
}

extension KeyedCoProcessFunction {
  public mutating func open(_ context: KeyedContext<Key>) throws {}
  public mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>
  ) throws {}
  public mutating func endOfInput(context: KeyedContext<Key>, out: inout Collector<Output>) throws {
  }
}

/// A ``CoProcessFunction`` made of two closures (``ConnectedStreams/process(name:_:_:)``).
public struct ClosureCoProcessFunction<Input1: Sendable, Input2: Sendable, Output: Sendable>:
  CoProcessFunction
{
  @usableFromInline let first: @Sendable (Input1, inout Collector<Output>) throws -> Void
  @usableFromInline let second: @Sendable (Input2, inout Collector<Output>) throws -> Void

  /// Wraps the two closures.
  @inlinable
  public init(
    _ first: @escaping @Sendable (Input1, inout Collector<Output>) throws -> Void,
    _ second: @escaping @Sendable (Input2, inout Collector<Output>) throws -> Void
  ) {
    self.first = first
    self.second = second
  }

  @inlinable
  public func processElement1(
    _ value: Input1, context: CoProcessContext, out: inout Collector<Output>
  ) throws { try first(value, &out) }

  @inlinable
  public func processElement2(
    _ value: Input2, context: CoProcessContext, out: inout Collector<Output>
  ) throws { try second(value, &out) }
}

/// A ``KeyedCoProcessFunction`` made of two closures that receive the key context.
public struct ClosureKeyedCoProcessFunction<
  Key: BinaryCodable & Hashable, Input1: Sendable, Input2: Sendable, Output: Sendable
>: KeyedCoProcessFunction {
  @usableFromInline let first:
    @Sendable (Input1, KeyedContext<Key>, inout Collector<Output>) throws -> Void
  @usableFromInline let second:
    @Sendable (Input2, KeyedContext<Key>, inout Collector<Output>) throws -> Void

  /// Wraps the two closures.
  @inlinable
  public init(
    _ first:
      @escaping @Sendable (Input1, KeyedContext<Key>, inout Collector<Output>) throws
      -> Void,
    _ second:
      @escaping @Sendable (Input2, KeyedContext<Key>, inout Collector<Output>) throws
      -> Void
  ) {
    self.first = first
    self.second = second
  }

  @inlinable
  public func processElement1(
    _ value: Input1, context: KeyedContext<Key>, out: inout Collector<Output>
  ) throws { try first(value, context, &out) }

  @inlinable
  public func processElement2(
    _ value: Input2, context: KeyedContext<Key>, out: inout Collector<Output>
  ) throws { try second(value, context, &out) }
}
