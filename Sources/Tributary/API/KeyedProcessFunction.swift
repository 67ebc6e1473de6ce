/// The current key and its key group, passed to keyed functions.
///
/// Valid only during the call it is passed to; one instance per subtask.
public final class KeyedContext<Key: Sendable> {
  /// The key of the record being processed.
  public var key: Key { currentKey }
  /// The key group of ``key``.
  public var keyGroup: Int { currentKeyGroup }
  @usableFromInline var currentKey: Key
  @usableFromInline var currentKeyGroup: Int
  /// Where this function instance runs.
  public let operatorContext: OperatorContext

  @usableFromInline
  init(key: Key, keyGroup: Int, operatorContext: OperatorContext) {
    self.currentKey = key
    self.currentKeyGroup = keyGroup
    self.operatorContext = operatorContext
  }
}

/// A function on a keyed stream that may emit any number of outputs per input.
///
/// One copy runs per subtask; records of one key always reach the same copy,
/// in the order they were sent. All methods but ``processElement(_:context:out:)``
/// have no-op defaults.
public protocol KeyedProcessFunction<Key, Input, Output>: Sendable {
  /// The key type.
  associatedtype Key: BinaryCodable & Hashable
  /// The record type consumed.
  associatedtype Input: Sendable
  /// The record type produced.
  associatedtype Output: Sendable

  /// Called once per subtask before the first record.
  mutating func open(_ context: OperatorContext) throws
  /// Processes one record of the key `context.key`.
  mutating func processElement(
    _ value: Input, context: KeyedContext<Key>, out: inout Collector<Output>) throws
  /// Called once after the last record of a bounded input; may emit final results.
  mutating func endOfInput(out: inout Collector<Output>) throws
}

extension KeyedProcessFunction {
  public mutating func open(_ context: OperatorContext) throws {}
  public mutating func endOfInput(out: inout Collector<Output>) throws {}
}

/// A ``KeyedProcessFunction`` made of a closure.
public struct ClosureKeyedProcessFunction<Key: BinaryCodable & Hashable, Input: Sendable, Output: Sendable>:
  KeyedProcessFunction
{
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
