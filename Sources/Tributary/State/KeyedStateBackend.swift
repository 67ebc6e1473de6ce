import Foundation
import RocksDB

/// A table that buffers writes and can push them to durable storage.
protocol FlushableStateTable: AnyObject {
  func flush() throws
}

extension RocksDBStateTable: FlushableStateTable {}

/// The keyed state of one keyed subtask: the declared states' tables, the
/// current key, and (for RocksDB) the database.
///
/// Not thread-safe: owned by one task. ``close()`` releases the database and
/// removes its working directory.
public final class KeyedStateBackend<Key: BinaryCodable & Hashable> {
  /// The key that state handles currently address.
  public let current = CurrentKey<Key>()
  /// The configuration in force.
  public let configuration: StateBackendConfiguration
  /// The processing-time clock used for time-to-live.
  public let clock: any ProcessingClock
  @usableFromInline let context: OperatorContext
  @usableFromInline let db: RocksDB?
  @usableFromInline let budget: StateCacheBudget
  let workingDirectory: String?
  /// Incremental native snapshots (RocksDB only), created at the first one.
  var incrementalSnapshots: IncrementalRocksDBSnapshots?
  /// `tributary_state_entries` and `tributary_state_bytes`, set at every snapshot.
  let sizeGauges: StateSizeGauges

  @usableFromInline
  struct Registered {
    let id: UInt16
    let kind: String
    let table: AnyObject
    let keys: (_ body: (Key) throws -> Void) throws -> Void
    /// Freezes the entries now; the returned function appends them later as
    /// (key group, key, namespace, value) records and returns their count.
    let snapshot: () throws -> (_ writer: inout BinaryWriter) throws -> Int
    /// Stores one entry read back from a snapshot.
    let restore: (_ key: [UInt8], _ namespace: [UInt8], _ value: [UInt8]) throws -> Void
    /// Makes room for this many restored entries before they arrive.
    let reserve: (_ count: Int) -> Void
  }
  /// Entries of restored states not declared yet, by state name.
  var pendingRestore: [String: (kind: String, entries: [RestoredEntry])] = [:]
  @usableFromInline var registered: [String: Registered] = [:]
  /// Prefetchers of the in-memory tables (heap, or RocksDB caches) of plain keyed state.
  @usableFromInline var prefetchers: [(Key) -> Void] = []
  /// The states declared so far, in order, as declarations to replay into a
  /// scratch backend (kept only when the job rehearses restores:
  /// ``OperatorContext/restoreRehearsals``).
  var declarations: [(name: String, declare: @Sendable (KeyedStateBackend<Key>) throws -> Void)] =
    []
  /// Whether declarations are kept (the job rehearses restores).
  @usableFromInline let rehearsing: Bool

  /// Asks the CPU to fetch the heap state of `key` ahead of its use, so that
  /// lookups of consecutive records overlap their cache misses.
  @inlinable
  public func prefetch(_ key: Key) {
    for prefetcher in prefetchers { prefetcher(key) }
  }

  /// Opens the backend of `context`'s subtask.
  /// - Throws: ``StateError/storage(state:underlying:)`` when RocksDB cannot be opened.
  public init(context: OperatorContext) throws {
    self.context = context
    rehearsing = context.restoreRehearsals != nil
    sizeGauges = StateSizeGauges(context: context)
    configuration = context.stateBackend
    clock = context.processingClock
    budget = StateCacheBudget(
      limitBytes: configuration.kind == .rocksdb ? configuration.cacheBytes : 0)
    switch configuration.kind {
    case .heap:
      db = nil
      workingDirectory = nil
    case .rocksdb:
      let parent = configuration.directory ?? NSTemporaryDirectory()
      let safeName = String(context.operatorName.map { $0.isLetter || $0.isNumber ? $0 : "_" })
      let path =
        "\(parent)/tributary-\(safeName)-\(context.subtaskIndex)-\(UUID().uuidString.prefix(8))"
      do {
        try FileManager.default.createDirectory(
          atPath: parent, withIntermediateDirectories: true)
        db = try RocksDB(path: path, options: configuration.rocksDB)
      } catch {
        throw StateError.storage(state: "(backend of \(context.operatorName))", underlying: error)
      }
      workingDirectory = path
    }
  }

  /// Bytes the RocksDB working directory takes on disk after flushing the
  /// write-back caches and memtables (0 for heap state).
  public func bytesOnDisk() throws -> Int {
    guard let db else { return 0 }
    do {
      try flush()
      try db.flush()
      return Int(try db.approximateDiskUsageBytes())
    } catch let error as StateError { throw error } catch {
      throw StateError.storage(state: "(all)", underlying: error)
    }
  }

  /// Writes every cached change to RocksDB (no-op for heap state).
  public func flush() throws {
    for state in registered.values {
      if let table = state.table as? FlushableStateTable {
        do { try table.flush() } catch let error as StateError { throw error } catch {
          throw StateError.storage(state: "?", underlying: error)
        }
      }
    }
  }

  /// Releases the database and removes its working directory. Idempotent.
  public func close() {
    incrementalSnapshots?.close()
    db?.close()
    if let workingDirectory { try? FileManager.default.removeItem(atPath: workingDirectory) }
  }

  /// The keys that have a value in state `name`, each once, in no particular order.
  public func keys(inState name: String) throws -> [Key] {
    guard let state = registered[name] else { return [] }
    var keys: [Key] = []
    // Plain keyed state has one entry per key, so keys are already distinct.
    try state.keys { key in keys.append(key) }
    return keys
  }

  // MARK: Declaring state

  /// State `name` was declared; `declare` declares it again in another
  /// backend of the same key type. When the job rehearses restores, the
  /// operator's ``RestoreRehearsal`` now includes it.
  @usableFromInline
  func declared(
    _ name: String, _ declare: @escaping @Sendable (KeyedStateBackend<Key>) throws -> Void
  ) {
    guard let rehearsals = context.restoreRehearsals as? RestoreRehearsals,
      !declarations.contains(where: { $0.name == name })
    else { return }
    declarations.append((name, declare))
    rehearsals.publish(
      RestoreRehearsal(of: self, declarations: declarations.map(\.declare)),
      for: context.operatorID)
  }

  /// The access to state `name` of kind `kind` storing `Stored` values.
  @inlinable
  func access<Stored: BinaryCodable>(
    name: String, kind: String, ttl: StateTTL?, as: Stored.Type = Stored.self
  ) throws -> StoredAccess<Stored> {
    defer {
      if rehearsing && registered[name] != nil {
        declared(name) { backend in
          _ = try backend.access(name: name, kind: kind, ttl: ttl, as: Stored.self)
        }
      }
    }
    switch (configuration.kind, ttl) {
    case (.heap, nil):
      let fresh = registered[name] == nil
      let table = try register(name, kind) { _ in HeapStateTable<Key, VoidNamespace, Stored>() }
      if fresh { prefetchers.append { table.prefetch(StateKey($0, VoidNamespace())) } }
      return .direct(table, current: current, name: name)
    case (.heap, let ttl?):
      let table = try register(name, kind, ttl: ttl) { _ in
        HeapStateTable<Key, VoidNamespace, TimestampedValue<Stored>>()
      }
      return .expiring(table, current: current, name: name, ttl: ttl, clock: clock)
    case (.rocksdb, nil):
      let fresh = registered[name] == nil
      let table = try register(name, kind) { id in
        RocksDBStateTable<Key, VoidNamespace, Stored>(
          db: db!, name: name, stateId: id, maxParallelism: context.maxParallelism,
          keyGroups: context.keyGroupRange, budget: budget)
      }
      if fresh && budget.isEnabled {
        prefetchers.append { table.cache.prefetch(StateKey($0, VoidNamespace())) }
      }
      return .direct(table, current: current, name: name)
    case (.rocksdb, let ttl?):
      let table = try register(name, kind, ttl: ttl) { id in
        RocksDBStateTable<Key, VoidNamespace, TimestampedValue<Stored>>(
          db: db!, name: name, stateId: id, maxParallelism: context.maxParallelism,
          keyGroups: context.keyGroupRange, budget: budget)
      }
      return .expiring(table, current: current, name: name, ttl: ttl, clock: clock)
    }
  }

  /// The table of state `name`, created by `make` on first declaration.
  @inlinable
  func register<T: StateTable>(_ name: String, _ kind: String, make: (UInt16) -> T) throws -> T
  where T.Key == Key {
    try registerTable(name, kind, make: make) { table, body in
      try table.forEach { address, _ in try body(address.key) }
    }
  }

  /// The table of an expiring state `name`; key iteration skips (and removes) expired values.
  @inlinable
  func register<T: StateTable, V>(
    _ name: String, _ kind: String, ttl: StateTTL, make: (UInt16) -> T
  ) throws -> T where T.Key == Key, T.Value == TimestampedValue<V> {
    let clock = self.clock
    return try registerTable(name, kind, make: make) { table, body in
      let now = clock.nowMillis()
      var expired: [StateKey<Key, T.Namespace>] = []
      try table.forEach { address, stored in
        if now - stored.writtenAt >= ttl.milliseconds {
          expired.append(address)
        } else {
          try body(address.key)
        }
      }
      for address in expired { try table.remove(address) }
    }
  }

  @usableFromInline
  func registerTable<T: StateTable>(
    _ name: String, _ kind: String, make: (UInt16) -> T,
    keys: @escaping (T, (Key) throws -> Void) throws -> Void
  ) throws -> T where T.Key == Key {
    if let existing = registered[name] {
      guard existing.kind == kind, let table = existing.table as? T else {
        throw StateError.conflictingDeclaration(state: name)
      }
      return table
    }
    let table = make(UInt16(registered.count))
    let maxParallelism = context.maxParallelism
    registered[name] = Registered(
      id: UInt16(registered.count), kind: kind, table: table,
      keys: { body in try keys(table, body) },
      snapshot: {
        let frozen = try table.frozen()
        return { writer in
          var scratch = BinaryWriter(capacity: 32)
          var count = 0
          try frozen.forEach { address, value in
            scratch.reset()
            address.key.encode(to: &scratch)
            let group = KeyGroups.keyGroup(
              hash: StableHash.hash(scratch.bytes), maxParallelism: maxParallelism)
            writer.writeFixed(UInt16(group))
            writer.writeLengthPrefixed(scratch.bytes)
            scratch.reset()
            address.namespace.encode(to: &scratch)
            writer.writeLengthPrefixed(scratch.bytes)
            scratch.reset()
            value.encode(to: &scratch)
            writer.writeLengthPrefixed(scratch.bytes)
            count += 1
          }
          return count
        }
      },
      restore: { key, namespace, value in
        do {
          // Native snapshots store key and namespace as one byte string.
          var reader = BinaryReader(namespace.isEmpty ? key : key + namespace)
          let decodedKey = try T.Key.decode(from: &reader)
          let decodedNamespace = try T.Namespace.decode(from: &reader)
          guard reader.isAtEnd else {
            throw CodecError.invalid(type: "state key", reason: "trailing bytes")
          }
          let address = StateKey(decodedKey, decodedNamespace)
          try table.put(address, try T.Value.decode(value))
        } catch let error as CodecError {
          throw StateError.corruptValue(
            state: name,
            keyGroup: KeyGroups.keyGroup(
              hash: StableHash.hash(key), maxParallelism: maxParallelism),
            underlying: error)
        }
      },
      reserve: { table.reserveCapacity($0) })
    if let pending = pendingRestore.removeValue(forKey: name) {
      guard pending.kind == kind else { throw StateError.conflictingDeclaration(state: name) }
      registered[name]!.reserve(pending.entries.count)
      for entry in pending.entries {
        try registered[name]!.restore(entry.key, entry.namespace, entry.value)
      }
    }
    return table
  }
}
