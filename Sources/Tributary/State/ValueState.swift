/// One value per key (Flink's `ValueState`), scoped to the current key.
///
/// Use only inside the keyed function calls of the subtask that declared it
/// (`processElement`, `endOfInput` while iterating keys); elsewhere calls throw
/// ``StateError/noCurrentKey(state:)``. Storage failures throw ``StateError``.
public final class ValueState<Value: BinaryCodable>: @unchecked Sendable {
  /// The state's name.
  public let name: String
  @usableFromInline let access: StoredAccess<Value>

  @usableFromInline
  init(name: String, access: StoredAccess<Value>) {
    self.name = name
    self.access = access
  }

  /// The current key's value, or `nil` if none (or expired).
  @inlinable public func value() throws -> Value? { try access.get() }

  /// Sets the current key's value; `nil` clears it.
  @inlinable
  public func update(_ value: Value?) throws {
    if let value { try access.put(value) } else { try access.remove() }
  }

  /// Removes the current key's value.
  @inlinable public func clear() throws { try access.remove() }
}

/// A list of values per key (Flink's `ListState`), stored as one value per key.
/// Same usage rules as ``ValueState``.
public final class ListState<Element: BinaryCodable>: @unchecked Sendable {
  /// The state's name.
  public let name: String
  @usableFromInline let access: StoredAccess<[Element]>

  @usableFromInline
  init(name: String, access: StoredAccess<[Element]>) {
    self.name = name
    self.access = access
  }

  /// The current key's elements in insertion order (empty if none).
  @inlinable public func get() throws -> [Element] { try access.get() ?? [] }

  /// Appends `element`.
  @inlinable
  public func add(_ element: Element) throws {
    try access.modify { list in
      if list == nil { list = [element] } else { list!.append(element) }
    }
  }

  /// Appends `elements` in order.
  @inlinable
  public func addAll(_ elements: [Element]) throws {
    guard !elements.isEmpty else { return }
    try access.modify { list in
      if list == nil { list = elements } else { list!.append(contentsOf: elements) }
    }
  }

  /// Replaces the list; an empty list clears it.
  @inlinable
  public func update(_ elements: [Element]) throws {
    if elements.isEmpty { try access.remove() } else { try access.put(elements) }
  }

  /// Removes the current key's list.
  @inlinable public func clear() throws { try access.remove() }
}

/// A map per key (Flink's `MapState`), stored as one value per key (cached
/// deserialized in memory by both backends). Same usage rules as ``ValueState``.
public final class MapState<MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable>:
  @unchecked Sendable
{
  /// The state's name.
  public let name: String
  @usableFromInline let access: StoredAccess<[MapKey: MapValue]>

  @usableFromInline
  init(name: String, access: StoredAccess<[MapKey: MapValue]>) {
    self.name = name
    self.access = access
  }

  /// The value for `key` in the current key's map.
  @inlinable public func get(_ key: MapKey) throws -> MapValue? { try access.get()?[key] }

  /// Whether the current key's map holds `key`.
  @inlinable public func contains(_ key: MapKey) throws -> Bool { try get(key) != nil }

  /// Sets `key` to `value`.
  @inlinable
  public func put(_ key: MapKey, _ value: MapValue) throws {
    try access.modify { map in
      if map == nil { map = [key: value] } else { map![key] = value }
    }
  }

  /// Removes `key`; an emptied map is removed.
  @inlinable
  public func remove(_ key: MapKey) throws {
    try access.modify { map in
      map?.removeValue(forKey: key)
      if map?.isEmpty == true { map = nil }
    }
  }

  /// All entries of the current key's map, in no particular order.
  @inlinable public func entries() throws -> [MapKey: MapValue] { try access.get() ?? [:] }

  /// Whether the current key's map is empty.
  @inlinable public func isEmpty() throws -> Bool { try access.get()?.isEmpty ?? true }

  /// Removes the current key's map.
  @inlinable public func clear() throws { try access.remove() }
}

/// Values added are combined with a reduce function into one value per key
/// (Flink's `ReducingState`). Same usage rules as ``ValueState``.
public final class ReducingState<Value: BinaryCodable>: @unchecked Sendable {
  /// The state's name.
  public let name: String
  @usableFromInline let access: StoredAccess<Value>
  @usableFromInline let reduce: @Sendable (Value, Value) throws -> Value

  @usableFromInline
  init(
    name: String, access: StoredAccess<Value>,
    reduce: @escaping @Sendable (Value, Value) throws -> Value
  ) {
    self.name = name
    self.access = access
    self.reduce = reduce
  }

  /// The combined value, or `nil` if nothing was added.
  @inlinable public func get() throws -> Value? { try access.get() }

  /// Combines `value` into the current key's value.
  @inlinable
  public func add(_ value: Value) throws {
    let reduce = self.reduce
    try access.modify { current in
      current = try current.map { try reduce($0, value) } ?? value
    }
  }

  /// Removes the current key's value.
  @inlinable public func clear() throws { try access.remove() }
}

/// Inputs are added to a stored accumulator (Flink's `AggregatingState`); only
/// the accumulator is kept. Same usage rules as ``ValueState``.
public final class AggregatingState<F: AggregateFunction>: @unchecked Sendable {
  /// The state's name.
  public let name: String
  @usableFromInline let access: StoredAccess<F.Accumulator>
  @usableFromInline let function: F

  @usableFromInline
  init(name: String, access: StoredAccess<F.Accumulator>, function: F) {
    self.name = name
    self.access = access
    self.function = function
  }

  /// The aggregate of everything added, or `nil` if nothing was added.
  @inlinable
  public func get() throws -> F.Output? { try access.get().map { function.result($0) } }

  /// Adds `value` to the current key's accumulator.
  @inlinable
  public func add(_ value: F.Input) throws {
    let function = self.function
    try access.modify { accumulator in
      accumulator = function.add(value, to: accumulator ?? function.createAccumulator())
    }
  }

  /// Removes the current key's accumulator.
  @inlinable public func clear() throws { try access.remove() }
}
