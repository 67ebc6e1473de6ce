import RocksDB

/// One cached state value: its latest value (`nil` = deleted), whether
/// RocksDB lacks it (`dirty`), whether RocksDB may hold some value for the
/// key (`persisted`; a removal then needs a delete in RocksDB, otherwise the
/// entry is simply dropped from the cache), whether it changed since the
/// last incremental snapshot (`changed`), and whether that snapshot holds it
/// (`inSnapshot`: only then does dropping it need a delete in the next one).
@usableFromInline
struct CachedStateEntry<Value> {
  @usableFromInline var value: Value?
  @usableFromInline var dirty: Bool
  @usableFromInline var referenced: Bool
  @usableFromInline var persisted: Bool
  @usableFromInline var changed: Bool
  @usableFromInline var inSnapshot: Bool

  @inlinable
  init(value: Value?, dirty: Bool, persisted: Bool) {
    self.value = value
    self.dirty = dirty
    self.referenced = true
    self.persisted = persisted
    self.changed = dirty
    self.inSnapshot = false
  }
}

/// State in RocksDB, behind a bounded write-back cache of deserialized values
/// (in the spirit of Kafka Streams' record cache).
///
/// RocksDB key layout: key group (2 bytes, big-endian) | state id (2 bytes,
/// big-endian) | encoded key | encoded namespace, so one key group is one
/// contiguous key range and all state of one key group is found by one range
/// scan. Values are the ``BinaryCodable`` encoding of `Value`.
///
/// Cache guarantees: reads see the latest write; dirty entries reach RocksDB
/// in one write batch when they are evicted (CLOCK second-chance policy when
/// the subtask's ``StateCacheBudget`` is exceeded) and at every ``flush()``,
/// which snapshots call, so a checkpoint always sees all state in RocksDB.
/// With a zero budget every operation goes straight to RocksDB.
public final class RocksDBStateTable<
  Key: BinaryCodable & Hashable, Namespace: BinaryCodable & Hashable, Value: BinaryCodable
>: StateTable {
  @usableFromInline let db: RocksDB
  @usableFromInline let name: String
  @usableFromInline let stateId: UInt16
  @usableFromInline let maxParallelism: Int
  @usableFromInline let keyGroups: Range<Int>
  @usableFromInline let budget: StateCacheBudget
  @usableFromInline let cache = OpenHashMap<StateKey<Key, Namespace>, CachedStateEntry<Value>>()
  /// Where the CLOCK eviction hand stands (a slot of `cache`).
  @usableFromInline var clockHand = 0
  /// False while the cache holds every entry of this table (nothing was ever
  /// evicted or dropped): then a cache miss means "absent" without a RocksDB
  /// read, and iteration (snapshots) reads the cache alone, without flushing.
  /// Set when an entry that RocksDB holds leaves the cache (an evicted dirty
  /// entry, or a clean one written by an earlier ``flush()``).
  @usableFromInline var rocksMayHoldEntries = false
  @usableFromInline var encoder: StateKeyEncoder
  /// Estimated bytes one cached entry costs.
  @usableFromInline let entryCost: Int
  /// Whether incremental snapshots are taken: then changes that leave the
  /// cache (evictions, removals of never-persisted entries, writes with the
  /// cache off) are also recorded in ``changeLog``.
  @usableFromInline var tracksChanges = false
  /// Changes since the last incremental snapshot that are no longer in the cache.
  @usableFromInline var changeLog = WriteBatch()

  /// Creates the table of state `name` (numbered `stateId`) in `db`.
  public init(
    db: RocksDB, name: String, stateId: UInt16, maxParallelism: Int, keyGroups: Range<Int>,
    budget: StateCacheBudget
  ) {
    self.db = db
    self.name = name
    self.stateId = stateId
    self.maxParallelism = maxParallelism
    self.keyGroups = keyGroups
    self.budget = budget
    encoder = StateKeyEncoder(stateId: stateId, maxParallelism: maxParallelism)
    // One slot (entry plus control byte) at the map's average load of about
    // 0.55, plus out-of-line storage that values such as strings may own.
    let slot =
      MemoryLayout<StateKey<Key, Namespace>>.stride
      + MemoryLayout<CachedStateEntry<Value>>.stride + 1
    entryCost = slot * 2 + (_isPOD(Value.self) && _isPOD(Key.self) ? 0 : 64)
  }

  /// Number of entries in the cache.
  public var cachedCount: Int { cache.count }

  // MARK: StateTable

  @inlinable
  public func get(_ address: StateKey<Key, Namespace>) throws -> Value? {
    if budget.isEnabled {
      if let slot = cache.slot(of: address) {
        let entry = cache.value(inSlot: slot)
        entry.pointee.referenced = true
        return entry.pointee.value
      }
      let value = rocksMayHoldEntries ? try read(address) : nil
      insert(
        address, CachedStateEntry(value: value, dirty: false, persisted: rocksMayHoldEntries))
      try evictIfNeeded()
      return value
    }
    return try read(address)
  }

  @inlinable
  public func put(_ address: StateKey<Key, Namespace>, _ value: Value) throws {
    if budget.isEnabled {
      let added: Bool = cache.modify(address) { entry in
        guard entry != nil else {
          entry = CachedStateEntry(value: value, dirty: true, persisted: rocksMayHoldEntries)
          return true
        }
        entry!.value = value
        entry!.dirty = true
        entry!.changed = true
        entry!.referenced = true
        return false
      }
      if added { budget.usedBytes += entryCost }
      try evictIfNeeded()
      return
    }
    let key = rocksKey(address)
    let bytes = encoder.value(value)
    rocksMayHoldEntries = true
    try storage { try db.put(key, bytes) }
    if tracksChanges { changeLog.put(key, bytes) }
  }

  /// Changes the value at `address` in place. A cached value is moved out of
  /// its cache entry while `body` runs, so a copy-on-write value (a list
  /// being appended to) stays uniquely referenced and is not copied; as with
  /// ``HeapStateTable``, `body` must not use this table, and a value `body`
  /// changed before throwing is kept. An uncached value is read, changed and
  /// written back (``StateTable/readModifyWrite(_:_:)``).
  @inlinable
  public func modify<R>(_ address: StateKey<Key, Namespace>, _ body: (inout Value?) throws -> R)
    throws -> R
  {
    guard budget.isEnabled, let slot = cache.slot(of: address) else {
      return try readModifyWrite(address, body)
    }
    let entry = cache.value(inSlot: slot)
    var value = entry.pointee.value.take()
    let wasPresent = value != nil
    let outcome = Result { try body(&value) }
    if let value {
      entry.pointee.value = value
      entry.pointee.dirty = true
      entry.pointee.changed = true
      entry.pointee.referenced = true
    } else if wasPresent {
      // The value is already out of the entry; `remove` finishes the job
      // (drops a never-persisted entry, or records the deletion).
      try remove(address)
    }
    return try outcome.get()
  }

  @inlinable
  public func remove(_ address: StateKey<Key, Namespace>) throws {
    if budget.isEnabled {
      let change: Int = cache.modify(address) { entry in
        if let current = entry {
          guard current.persisted else {
            entry = nil  // RocksDB never saw this key: forget it entirely
            return current.inSnapshot ? -2 : -1
          }
          entry!.value = nil
          entry!.dirty = true
          entry!.changed = true
          return 0
        }
        guard rocksMayHoldEntries else { return 0 }
        entry = CachedStateEntry(value: nil, dirty: true, persisted: true)
        return 1
      }
      budget.usedBytes += max(change, -1) * entryCost
      // A dropped entry that the last snapshot holds: record its removal (one
      // created since then needs nothing, which keeps short-lived entries such
      // as closed windows out of the change log).
      if change == -2 && tracksChanges { changeLog.delete(rocksKey(address)) }
      if change > 0 { try evictIfNeeded() }
      return
    }
    let key = rocksKey(address)
    try storage { try db.delete(key) }
    if tracksChanges { changeLog.delete(key) }
  }

  @inlinable
  public func forEach(_ body: (StateKey<Key, Namespace>, Value) throws -> Void) throws {
    if budget.isEnabled && !rocksMayHoldEntries {
      for slot in 0..<cache.slotCount where cache.isOccupied(slot) {
        if let value = cache.value(inSlot: slot).pointee.value {
          try body(cache.key(inSlot: slot), value)
        }
      }
      return
    }
    try flush()
    let prefixLength = 4
    for group in keyGroups {
      var prefix: [UInt8] = []
      appendPrefix(group: group, to: &prefix)
      let entries = try storage { try db.scan(prefix: prefix) }
      for (key, value) in entries {
        var reader = BinaryReader(Array(key[prefixLength...]))
        let address: StateKey<Key, Namespace>
        let decoded: Value
        do {
          let k = try Key.decode(from: &reader)
          let n = try Namespace.decode(from: &reader)
          address = StateKey(k, n)
          decoded = try Value.decode(value)
        } catch {
          throw StateError.corruptValue(state: name, keyGroup: group, underlying: error)
        }
        try body(address, decoded)
      }
    }
  }

  /// A fully cached table copies its cache; otherwise the cache is flushed
  /// and RocksDB is read now.
  public func frozen() throws -> FrozenStateEntries<Key, Namespace, Value> {
    if budget.isEnabled && !rocksMayHoldEntries {
      let copy = cache.copy()
      return FrozenStateEntries { body in
        try copy.forEach { address, entry in
          if let value = entry.value { try body(address, value) }
        }
      }
    }
    var entries: [(StateKey<Key, Namespace>, Value)] = []
    try forEach { entries.append(($0, $1)) }
    return FrozenStateEntries { body in
      for (address, value) in entries { try body(address, value) }
    }
  }

  /// Room in the cache for `count` more entries, as far as the budget allows.
  public func reserveCapacity(_ count: Int) {
    guard budget.isEnabled else { return }
    let room = max(0, budget.limitBytes - budget.usedBytes) / max(entryCost, 1)
    cache.reserveCapacity(cache.count + min(count, room))
  }

  // MARK: Cache

  /// Writes every dirty cached entry to RocksDB in one write batch.
  public func flush() throws {
    guard budget.isEnabled else { return }
    var writes = SortedWrites<Value>()
    var deleted: [StateKey<Key, Namespace>] = []
    for slot in 0..<cache.slotCount where cache.isOccupied(slot) {
      let entry = cache.value(inSlot: slot)
      guard entry.pointee.dirty else { continue }
      let address = cache.key(inSlot: slot)
      writes.append(rocksKey(address), entry.pointee.value)
      entry.pointee.dirty = false
      entry.pointee.persisted = true
      if entry.pointee.value == nil {
        deleted.append(address)
        // The tombstone leaves the cache: keep its removal for the next snapshot.
        if entry.pointee.changed && tracksChanges { add(address, nil, to: changeLog) }
      }
    }
    guard !writes.isEmpty else { return }
    try write(&writes)
    for address in deleted { cache.removeValue(forKey: address) }
    budget.usedBytes -= deleted.count * entryCost
  }

  /// Writes dirty entries and empties the cache.
  public func flushAndDropCache() throws {
    try flush()
    if tracksChanges {
      for slot in 0..<cache.slotCount where cache.isOccupied(slot) {
        let entry = cache.value(inSlot: slot)
        if entry.pointee.changed {
          add(cache.key(inSlot: slot), entry.pointee.value, to: changeLog)
        }
      }
    }
    rocksMayHoldEntries = true
    budget.usedBytes -= cache.count * entryCost
    cache.removeAll()
  }

  @inlinable
  func insert(_ address: StateKey<Key, Namespace>, _ entry: CachedStateEntry<Value>) {
    if cache.set(entry, forKey: address) { budget.usedBytes += entryCost }
  }

  @inlinable
  func evictIfNeeded() throws {
    if budget.isExceeded { try evict() }
  }

  /// Evicts about an eighth of this table's entries (at least one) with the
  /// CLOCK policy: the hand sweeps the slots, giving recently used entries a
  /// second chance; dirty victims go to RocksDB in one write batch.
  ///
  /// The hand visits the slots in a scattered order, `stride` apart (odd, about
  /// 0.618 of the slot count, so one revolution visits every slot of the
  /// power-of-two map once), not in storage order: sweeping in storage order
  /// emptied the slots just behind the hand and left those ahead of it holding
  /// a whole revolution's insertions, and the map's linear probing degenerated
  /// there into runs of thousands of occupied slots (Nexmark q5 on RocksDB
  /// stalled). Scattered victims keep the load even across the map.
  @usableFromInline
  func evict() throws {
    let target = max(1, cache.count / 8)
    var victims: [StateKey<Key, Namespace>] = []
    victims.reserveCapacity(target)
    var writes = SortedWrites<Value>()
    var leavesRocksDBHolding = false
    var visited = 0
    let slots = cache.slotCount
    let mask = slots - 1
    let stride = Int(Double(slots) * 0.618_033_988_749_895) | 1
    let lookahead = 8
    clockHand &= mask
    while victims.count < target && visited < 2 * slots {
      let slot = clockHand
      clockHand = (clockHand + stride) & mask
      visited += 1
      // Scattered visits miss the CPU cache: fetch a few visits ahead.
      cache.prefetch(slot: (slot + lookahead * stride) & mask)
      guard cache.isOccupied(slot) else { continue }
      let entry = cache.value(inSlot: slot)
      if entry.pointee.referenced {
        entry.pointee.referenced = false
        continue
      }
      let address = cache.key(inSlot: slot)
      if entry.pointee.dirty { writes.append(rocksKey(address), entry.pointee.value) }
      // RocksDB holds the victim from now on (written now, or by an earlier flush).
      if entry.pointee.dirty || entry.pointee.persisted { leavesRocksDBHolding = true }
      if entry.pointee.changed && tracksChanges { add(address, entry.pointee.value, to: changeLog) }
      victims.append(address)
      // Marked so that the hand does not pick it twice before removal.
      entry.pointee.referenced = true
      entry.pointee.dirty = false
    }
    if !writes.isEmpty { try write(&writes) }
    if leavesRocksDBHolding { rocksMayHoldEntries = true }
    for address in victims { cache.removeValue(forKey: address) }
    budget.usedBytes -= victims.count * entryCost
  }

  // MARK: RocksDB access

  /// Writes `writes` to RocksDB in one batch, in key order. The memtable's skip
  /// list inserts each key starting from where the previous one went, so
  /// ascending keys are found near each other; the scattered victims of an
  /// eviction, unsorted, each cost a search from the top of a list of a
  /// million entries (a third of q5's time on RocksDB once it evicted).
  @usableFromInline
  func write(_ writes: inout SortedWrites<Value>) throws {
    writes.entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
    let batch = WriteBatch()
    for (key, value) in writes.entries {
      if let value {
        batch.put(key, encoder.value(value))
      } else {
        batch.delete(key)
      }
    }
    try storage { try db.write(batch) }
  }

  @inlinable
  func read(_ address: StateKey<Key, Namespace>) throws -> Value? {
    let key = rocksKey(address)
    guard let bytes = try storage({ try db.get(key) }) else { return nil }
    do { return try Value.decode(bytes) } catch {
      throw StateError.corruptValue(
        state: name, keyGroup: Int(key[0]) << 8 | Int(key[1]), underlying: error)
    }
  }

  @usableFromInline
  func add(_ address: StateKey<Key, Namespace>, _ value: Value?, to batch: WriteBatch) {
    let key = rocksKey(address)
    if let value {
      batch.put(key, encoder.value(value))
    } else {
      batch.delete(key)
    }
  }

  /// The RocksDB key of `address` (key group | state id | key | namespace).
  @inlinable
  func rocksKey(_ address: StateKey<Key, Namespace>) -> [UInt8] {
    encoder.key(address)
  }

  @inlinable
  func appendPrefix(group: Int, to bytes: inout [UInt8]) {
    var writer = BinaryWriter(capacity: 4)
    writer.writeFixed(UInt16(group))
    writer.writeFixed(stateId)
    bytes.append(contentsOf: writer.bytes)
  }

  @inlinable
  func storage<R>(_ body: () throws -> R) throws -> R {
    do { return try body() } catch let error as StateError { throw error } catch {
      throw StateError.storage(state: name, underlying: error)
    }
  }
}

/// Puts (a value) and deletes (`nil`) collected for one RocksDB write batch,
/// written in key order by ``RocksDBStateTable``.
@usableFromInline
struct SortedWrites<Value> {
  @usableFromInline var entries: [(key: [UInt8], value: Value?)] = []

  @inlinable init() {}

  @inlinable var isEmpty: Bool { entries.isEmpty }

  @inlinable
  mutating func append(_ key: [UInt8], _ value: Value?) { entries.append((key, value)) }
}
