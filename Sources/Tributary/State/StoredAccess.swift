/// The current key of a keyed subtask, shared by all its state handles.
/// Used by one task only.
public final class CurrentKey<Key: Sendable> {
  @usableFromInline var key: Key?
  @inlinable init() {}
}

/// Access to the value stored for the current key in one table, optionally
/// with a time-to-live. Built in specialised code over a concrete table, so
/// handles reach the table without generic dispatch.
@usableFromInline
struct StoredAccess<Stored> {
  @usableFromInline let get: () throws -> Stored?
  @usableFromInline let put: (Stored) throws -> Void
  @usableFromInline let remove: () throws -> Void
  @usableFromInline let modify: ((inout Stored?) throws -> Void) throws -> Void

  @inlinable
  init(
    get: @escaping () throws -> Stored?, put: @escaping (Stored) throws -> Void,
    remove: @escaping () throws -> Void,
    modify: @escaping ((inout Stored?) throws -> Void) throws -> Void
  ) {
    self.get = get
    self.put = put
    self.remove = remove
    self.modify = modify
  }

  /// Plain access to `table` at the current key.
  @inlinable
  static func direct<T: StateTable>(_ table: T, current: CurrentKey<T.Key>, name: String) -> Self
  where T.Value == Stored, T.Namespace == VoidNamespace {
    @inline(__always) func address() throws -> StateKey<T.Key, VoidNamespace> {
      guard let key = current.key else { throw StateError.noCurrentKey(state: name) }
      return StateKey(key, VoidNamespace())
    }
    return StoredAccess(
      get: { try table.get(address()) },
      put: { try table.put(address(), $0) },
      remove: { try table.remove(address()) },
      modify: { body in try table.modify(address(), body) })
  }

  /// Access with a time-to-live: values older than `ttl` read as absent and are removed.
  @inlinable
  static func expiring<T: StateTable>(
    _ table: T, current: CurrentKey<T.Key>, name: String, ttl: StateTTL,
    clock: any ProcessingClock
  ) -> Self where T.Value == TimestampedValue<Stored>, T.Namespace == VoidNamespace {
    @inline(__always) func address() throws -> StateKey<T.Key, VoidNamespace> {
      guard let key = current.key else { throw StateError.noCurrentKey(state: name) }
      return StateKey(key, VoidNamespace())
    }
    func live(_ address: StateKey<T.Key, VoidNamespace>) throws -> Stored? {
      guard let stored = try table.get(address) else { return nil }
      if clock.nowMillis() - stored.writtenAt >= ttl.milliseconds {
        try table.remove(address)
        return nil
      }
      return stored.value
    }
    return StoredAccess(
      get: { try live(address()) },
      put: { try table.put(address(), TimestampedValue(value: $0, writtenAt: clock.nowMillis())) },
      remove: { try table.remove(address()) },
      modify: { body in
        let at = try address()
        var value = try live(at)
        try body(&value)
        if let value {
          try table.put(at, TimestampedValue(value: value, writtenAt: clock.nowMillis()))
        } else {
          try table.remove(at)
        }
      })
  }
}
