/// How long a state value lives after its last write (processing time).
///
/// Expired values are never returned; they are removed lazily when read and
/// when keys are iterated.
public struct StateTTL: Sendable, Equatable {
  /// Lifetime after the last write, in milliseconds.
  public var milliseconds: Int64

  /// A time-to-live of `duration`.
  public init(_ duration: Duration) {
    let (seconds, atto) = duration.components
    milliseconds = max(1, seconds * 1_000 + atto / 1_000_000_000_000_000)
  }
}

/// Declares a ``ValueState``: one value per key.
public struct ValueStateDescriptor<Value: BinaryCodable>: Sendable {
  /// The state's name, unique within its operator.
  public let name: String
  /// Optional time-to-live.
  public let ttl: StateTTL?
  /// Declares a value state.
  public init(_ name: String, ttl: StateTTL? = nil) {
    self.name = name
    self.ttl = ttl
  }
}

/// Declares a ``ListState``: a list of values per key.
public struct ListStateDescriptor<Element: BinaryCodable>: Sendable {
  /// The state's name, unique within its operator.
  public let name: String
  /// Optional time-to-live (of the whole list, from its last change).
  public let ttl: StateTTL?
  /// Declares a list state.
  public init(_ name: String, ttl: StateTTL? = nil) {
    self.name = name
    self.ttl = ttl
  }
}

/// Declares a ``MapState``: a map per key.
public struct MapStateDescriptor<MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable>:
  Sendable
{
  /// The state's name, unique within its operator.
  public let name: String
  /// Optional time-to-live (of the whole map, from its last change).
  public let ttl: StateTTL?
  /// Declares a map state.
  public init(_ name: String, ttl: StateTTL? = nil) {
    self.name = name
    self.ttl = ttl
  }
}

/// Declares a ``ReducingState``: values added to it are combined into one.
public struct ReducingStateDescriptor<Value: BinaryCodable>: Sendable {
  /// The state's name, unique within its operator.
  public let name: String
  /// Combines the current value with an added one.
  public let reduce: @Sendable (Value, Value) throws -> Value
  /// Optional time-to-live.
  public let ttl: StateTTL?
  /// Declares a reducing state.
  public init(
    _ name: String, ttl: StateTTL? = nil, reduce: @escaping @Sendable (Value, Value) throws -> Value
  ) {
    self.name = name
    self.reduce = reduce
    self.ttl = ttl
  }
}

/// An incremental aggregation: an accumulator that inputs are added to, and a
/// result computed from it. `merge` combines two accumulators (merging windows).
public protocol AggregateFunction<Input, Accumulator, Output>: Sendable {
  /// The type added.
  associatedtype Input
  /// The stored accumulator.
  associatedtype Accumulator: BinaryCodable
  /// The result type.
  associatedtype Output
  /// A fresh, empty accumulator.
  func createAccumulator() -> Accumulator
  /// Adds `value` to `accumulator`.
  func add(_ value: Input, to accumulator: Accumulator) -> Accumulator
  /// The result of `accumulator`.
  func result(_ accumulator: Accumulator) -> Output
  /// Combines two accumulators.
  func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
}

/// Declares an ``AggregatingState``: stores only the accumulator.
public struct AggregatingStateDescriptor<F: AggregateFunction>: Sendable {
  /// The state's name, unique within its operator.
  public let name: String
  /// The aggregation.
  public let function: F
  /// Optional time-to-live.
  public let ttl: StateTTL?
  /// Declares an aggregating state.
  public init(_ name: String, function: F, ttl: StateTTL? = nil) {
    self.name = name
    self.function = function
    self.ttl = ttl
  }
}
