import RocksDB

/// One cached state value: its latest value (`nil` = deleted) and whether
/// RocksDB has it yet.
@usableFromInline
struct CachedStateEntry<Value> {
  @usableFromInline var value: Value?
  @usableFromInline var dirty: Bool
  @usableFromInline var referenced: Bool

  @inlinable
  init(value: Value?, dirty: Bool) {
    self.value = value
    self.dirty = dirty
    self.referenced = true
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
public final class RocksDBStateTable<Key: BinaryCodable & Hashable, Namespace: BinaryCodable & Hashable, Value: BinaryCodable>: StateTable {
  @usableFromInline let db: RocksDB
  @usableFromInline let name: String
  @usableFromInline let stateId: UInt16
  @usableFromInline let maxParallelism: Int
  @usableFromInline let keyGroups: Range<Int>
  @usableFromInline let budget: StateCacheBudget
  @usableFromInline var cache: [StateKey<Key, Namespace>: CachedStateEntry<Value>] = [:]
  @usableFromInline var keyScratch = BinaryWriter(capacity: 64)
  @usableFromInline var hashScratch = BinaryWriter(capacity: 32)
  @usableFromInline var valueScratch = BinaryWriter(capacity: 64)
  /// Estimated bytes one cached entry costs.
  @usableFromInline let entryCost: Int

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
    entryCost =
      MemoryLayout<StateKey<Key, Namespace>>.stride
      + MemoryLayout<CachedStateEntry<Value>>.stride + 48
  }

  /// Number of entries in the cache.
  public var cachedCount: Int { cache.count }

  // MARK: StateTable

  @inlinable
  public func get(_ address: StateKey<Key, Namespace>) throws -> Value? {
    if budget.isEnabled {
      if let index = cache.index(forKey: address) {
        cache.values[index].referenced = true
        return cache.values[index].value
      }
      let value = try read(address)
      insert(address, CachedStateEntry(value: value, dirty: false))
      try evictIfNeeded()
      return value
    }
    return try read(address)
  }

  @inlinable
  public func put(_ address: StateKey<Key, Namespace>, _ value: Value) throws {
    if budget.isEnabled {
      insert(address, CachedStateEntry(value: value, dirty: true))
      try evictIfNeeded()
      return
    }
    let key = rocksKey(address)
    valueScratch.reset()
    value.encode(to: &valueScratch)
    try storage { try db.put(key, valueScratch.bytes) }
  }

  @inlinable
  public func remove(_ address: StateKey<Key, Namespace>) throws {
    if budget.isEnabled {
      insert(address, CachedStateEntry(value: nil, dirty: true))
      try evictIfNeeded()
      return
    }
    let key = rocksKey(address)
    try storage { try db.delete(key) }
  }

  @inlinable
  public func forEach(_ body: (StateKey<Key, Namespace>, Value) throws -> Void) throws {
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

  // MARK: Cache

  /// Writes every dirty cached entry to RocksDB in one write batch.
  public func flush() throws {
    guard budget.isEnabled else { return }
    let batch = WriteBatch()
    var cleaned: [StateKey<Key, Namespace>] = []
    for index in cache.indices where cache.values[index].dirty {
      let (address, entry) = cache[index]
      add(address, entry.value, to: batch)
      cleaned.append(address)
    }
    guard batch.count > 0 else { return }
    try storage { try db.write(batch) }
    for address in cleaned {
      if cache[address]!.value == nil {
        cache.removeValue(forKey: address)
        budget.usedBytes -= entryCost
      } else {
        cache[address]!.dirty = false
      }
    }
  }

  /// Writes dirty entries and empties the cache.
  public func flushAndDropCache() throws {
    try flush()
    budget.usedBytes -= cache.count * entryCost
    cache.removeAll()
  }

  @inlinable
  func insert(_ address: StateKey<Key, Namespace>, _ entry: CachedStateEntry<Value>) {
    if cache.updateValue(entry, forKey: address) == nil { budget.usedBytes += entryCost }
  }

  @inlinable
  func evictIfNeeded() throws {
    if budget.isExceeded { try evict() }
  }

  /// Evicts about an eighth of this table's entries (at least one), giving
  /// recently used entries a second chance; dirty ones go to RocksDB in one batch.
  @usableFromInline
  func evict() throws {
    let target = max(1, cache.count / 8)
    var victims: [StateKey<Key, Namespace>] = []
    victims.reserveCapacity(target)
    let batch = WriteBatch()
    var rounds = 0
    while victims.count < target && rounds < 2 {
      for index in cache.indices {
        if cache.values[index].referenced {
          cache.values[index].referenced = false
          continue
        }
        let (address, entry) = cache[index]
        if entry.dirty { add(address, entry.value, to: batch) }
        victims.append(address)
        // Marked so that a second round over the cache does not pick it again.
        cache.values[index].referenced = true
        cache.values[index].dirty = false
        if victims.count >= target { break }
      }
      rounds += 1
    }
    if batch.count > 0 { try storage { try db.write(batch) } }
    for address in victims { cache.removeValue(forKey: address) }
    budget.usedBytes -= victims.count * entryCost
  }

  // MARK: RocksDB access

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
      valueScratch.reset()
      value.encode(to: &valueScratch)
      batch.put(key, valueScratch.bytes)
    } else {
      batch.delete(key)
    }
  }

  /// The RocksDB key of `address` (key group | state id | key | namespace).
  @inlinable
  func rocksKey(_ address: StateKey<Key, Namespace>) -> [UInt8] {
    hashScratch.reset()
    address.key.encode(to: &hashScratch)
    let group = KeyGroups.keyGroup(
      hash: StableHash.hash(hashScratch.bytes), maxParallelism: maxParallelism)
    keyScratch.reset()
    keyScratch.writeFixed(UInt16(group))
    keyScratch.writeFixed(stateId)
    keyScratch.writeRaw(hashScratch.bytes)
    address.namespace.encode(to: &keyScratch)
    return keyScratch.bytes
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
