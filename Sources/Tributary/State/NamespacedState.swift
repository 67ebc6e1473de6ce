/// A state table addressed by key and an explicit namespace (windows, timers),
/// on whichever backend the job uses. Its methods switch over the two
/// concrete table types, so calls stay specialised (no generic dispatch).
public struct NamespacedState<
  Key: BinaryCodable & Hashable, Namespace: BinaryCodable & Hashable, Value: BinaryCodable
> {
  @usableFromInline
  enum Storage {
    case heap(HeapStateTable<Key, Namespace, Value>)
    case rocksdb(RocksDBStateTable<Key, Namespace, Value>)
  }
  @usableFromInline let storage: Storage

  @usableFromInline
  init(storage: Storage) { self.storage = storage }

  /// The value at `key` and `namespace`, or `nil`.
  @inlinable
  public func get(_ key: Key, _ namespace: Namespace) throws -> Value? {
    switch storage {
    case .heap(let t): return try t.get(StateKey(key, namespace))
    case .rocksdb(let t): return try t.get(StateKey(key, namespace))
    }
  }

  /// Stores `value` at `key` and `namespace`.
  @inlinable
  public func put(_ key: Key, _ namespace: Namespace, _ value: Value) throws {
    switch storage {
    case .heap(let t): try t.put(StateKey(key, namespace), value)
    case .rocksdb(let t): try t.put(StateKey(key, namespace), value)
    }
  }

  /// Removes the value at `key` and `namespace`.
  @inlinable
  public func remove(_ key: Key, _ namespace: Namespace) throws {
    switch storage {
    case .heap(let t): try t.remove(StateKey(key, namespace))
    case .rocksdb(let t): try t.remove(StateKey(key, namespace))
    }
  }

  /// Changes the value at `key` and `namespace` in place (`nil` means absent).
  @inlinable
  public func modify<R>(_ key: Key, _ namespace: Namespace, _ body: (inout Value?) throws -> R)
    throws -> R
  {
    switch storage {
    case .heap(let t): return try t.modify(StateKey(key, namespace), body)
    case .rocksdb(let t): return try t.modify(StateKey(key, namespace), body)
    }
  }

  /// Asks the CPU to fetch the memory that accessing `key` and `namespace` will touch.
  @inlinable
  public func prefetch(_ key: Key, _ namespace: Namespace) {
    switch storage {
    case .heap(let t): t.prefetch(StateKey(key, namespace))
    case .rocksdb(let t): if t.budget.isEnabled { t.cache.prefetch(StateKey(key, namespace)) }
    }
  }

  /// Every stored entry, in no particular order (`body` must not modify the table).
  @inlinable
  public func forEach(_ body: (StateKey<Key, Namespace>, Value) throws -> Void) throws {
    switch storage {
    case .heap(let t): try t.forEach(body)
    case .rocksdb(let t): try t.forEach(body)
    }
  }
}

extension KeyedStateBackend {
  /// Declares (or finds again) state `name` addressed by key and namespace.
  /// - Throws: ``StateError/conflictingDeclaration(state:)`` for a name already
  ///   used with other types.
  @inlinable
  public func namespacedState<Namespace: BinaryCodable & Hashable, Value: BinaryCodable>(
    _ name: String, namespace: Namespace.Type = Namespace.self, value: Value.Type = Value.self
  ) throws -> NamespacedState<Key, Namespace, Value> {
    defer {
      if rehearsing && registered[name] != nil {
        declared(name) { backend in
          _ = try backend.namespacedState(name, namespace: Namespace.self, value: Value.self)
        }
      }
    }
    switch configuration.kind {
    case .heap:
      let table = try register(name, "namespaced") { _ in
        HeapStateTable<Key, Namespace, Value>()
      }
      return NamespacedState(storage: .heap(table))
    case .rocksdb:
      let table = try register(name, "namespaced") { id in
        RocksDBStateTable<Key, Namespace, Value>(
          db: db!, name: name, stateId: id, maxParallelism: context.maxParallelism,
          keyGroups: context.keyGroupRange, budget: budget)
      }
      return NamespacedState(storage: .rocksdb(table))
    }
  }
}
