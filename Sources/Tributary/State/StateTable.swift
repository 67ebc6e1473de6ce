/// The storage of one declared state: values addressed by key and namespace.
///
/// Implementations: ``HeapStateTable`` (a dictionary) and ``RocksDBStateTable``
/// (RocksDB behind a write-back cache). A table is used by one task only.
/// Every method may throw ``StateError`` (storage failure, undecodable value).
public protocol StateTable<Key, Namespace, Value>: AnyObject {
  /// The record key type.
  associatedtype Key: BinaryCodable & Hashable
  /// The namespace type (``VoidNamespace`` for plain keyed state).
  associatedtype Namespace: BinaryCodable & Hashable
  /// The stored value type.
  associatedtype Value: BinaryCodable

  /// The value at `address`, or `nil`.
  func get(_ address: StateKey<Key, Namespace>) throws -> Value?
  /// Stores `value` at `address`.
  func put(_ address: StateKey<Key, Namespace>, _ value: Value) throws
  /// Removes the value at `address` (no-op when absent).
  func remove(_ address: StateKey<Key, Namespace>) throws
  /// Changes the value at `address` in place (`nil` in or out means absent).
  func modify<R>(_ address: StateKey<Key, Namespace>, _ body: (inout Value?) throws -> R) throws
    -> R
  /// Calls `body` with every stored entry, in no particular order. `body` must
  /// not modify this table.
  func forEach(_ body: (StateKey<Key, Namespace>, Value) throws -> Void) throws
  /// A consistent, private view of every entry as of now, readable later from
  /// another thread while the table keeps changing (the synchronous part of a
  /// snapshot; reading it is the asynchronous part).
  func frozen() throws -> FrozenStateEntries<Key, Namespace, Value>
  /// Prepares for `count` more entries (a restore), so that inserting them
  /// does not grow the table step by step.
  func reserveCapacity(_ count: Int)
}

/// Entries of a state table frozen at one moment (see ``StateTable/frozen()``).
/// Owns its data; safe to read from one other task.
public struct FrozenStateEntries<Key: Hashable & Sendable, Namespace: Hashable & Sendable, Value>:
  @unchecked Sendable
{
  /// Calls `body` with every frozen entry.
  public let forEach: ((StateKey<Key, Namespace>, Value) throws -> Void) throws -> Void
}

extension StateTable {
  @inlinable
  public func modify<R>(_ address: StateKey<Key, Namespace>, _ body: (inout Value?) throws -> R)
    throws -> R
  {
    try readModifyWrite(address, body)
  }

  /// ``modify(_:_:)`` by ``get(_:)``, then ``put(_:_:)`` or ``remove(_:)``
  /// (no removal when there was nothing and `body` left nothing): for
  /// tables, or values, that cannot be changed in place.
  @inlinable
  public func readModifyWrite<R>(
    _ address: StateKey<Key, Namespace>, _ body: (inout Value?) throws -> R
  ) throws -> R {
    var value = try get(address)
    let wasPresent = value != nil
    let result = try body(&value)
    if let value {
      try put(address, value)
    } else if wasPresent {
      try remove(address)
    }
    return result
  }
}

/// State kept deserialized in memory: the fastest backend, bounded by memory.
///
/// Entries live in an ``OpenHashMap`` (key next to value, one cache line per
/// lookup). Key groups are derived from the keys when state is snapshotted
/// or redistributed, so the record path never hashes a key twice.
public final class HeapStateTable<
  Key: BinaryCodable & Hashable, Namespace: BinaryCodable & Hashable, Value: BinaryCodable
>: StateTable {
  @usableFromInline let entries = OpenHashMap<StateKey<Key, Namespace>, Value>()

  /// Creates an empty table.
  @inlinable
  public init() {}

  /// Number of stored entries.
  public var count: Int { entries.count }

  @inlinable
  public func get(_ address: StateKey<Key, Namespace>) throws -> Value? {
    entries.value(forKey: address)
  }

  /// Asks the CPU to fetch the memory that reading `address` will touch.
  @inlinable
  public func prefetch(_ address: StateKey<Key, Namespace>) {
    entries.prefetch(address)
  }

  @inlinable
  public func put(_ address: StateKey<Key, Namespace>, _ value: Value) throws {
    entries.set(value, forKey: address)
  }

  @inlinable
  public func remove(_ address: StateKey<Key, Namespace>) throws {
    entries.removeValue(forKey: address)
  }

  @inlinable
  public func modify<R>(_ address: StateKey<Key, Namespace>, _ body: (inout Value?) throws -> R)
    throws -> R
  {
    try entries.modify(address, body)
  }

  @inlinable
  public func forEach(_ body: (StateKey<Key, Namespace>, Value) throws -> Void) throws {
    try entries.forEach(body)
  }

  public func reserveCapacity(_ count: Int) { entries.reserveCapacity(entries.count + count) }

  /// A copy of the map (one pass over memory); encoding happens later.
  public func frozen() throws -> FrozenStateEntries<Key, Namespace, Value> {
    let copy = entries.copy()
    return FrozenStateEntries { body in try copy.forEach(body) }
  }
}
