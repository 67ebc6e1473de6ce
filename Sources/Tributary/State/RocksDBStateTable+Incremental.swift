import RocksDB
import TributaryCodec

/// A state table that can feed incremental RocksDB snapshots: it reports the
/// changes made since the previous snapshot as writes to apply to the
/// snapshot database (see ``IncrementalRocksDBSnapshots``).
///
/// Used by the task that owns the table; the returned write functions own
/// copies of the data and may run on another thread.
protocol IncrementalSnapshotSource: AnyObject {
  /// Whether the cache holds every entry (RocksDB holds none of them).
  var isFullyCached: Bool { get }
  /// Entries in the cache.
  var cachedEntryCount: Int { get }
  /// How many cached entries changed since the previous snapshot, counting
  /// at most to `limit` (a raw pass over the cache that stops there).
  func changedEntryCount(upTo limit: Int) -> Int
  /// Forgets which entries changed (after a snapshot taken without this table's
  /// changes, which must be followed by a full one).
  func clearChangedFlags()
  /// Writes every cached change to the working database.
  func flush() throws
  /// Starts (or restarts) change tracking from the current state: what the
  /// next ``takeChanges()`` returns is relative to now.
  func beginTracking()
  /// A copy of every entry of a fully cached table, written later by the
  /// returned function; also begins tracking.
  func copyAll() -> @Sendable (RocksDB) throws -> Void
  /// The changes since the previous snapshot (or ``beginTracking()``), and
  /// starts a new interval.
  func takeChanges() -> @Sendable (RocksDB) throws -> Void
}

extension RocksDBStateTable: IncrementalSnapshotSource {
  var isFullyCached: Bool { budget.isEnabled && !rocksMayHoldEntries }

  var cachedEntryCount: Int { cache.count }

  /// Byte offset of `changed` in a cache entry (for raw passes over the cache).
  private var changedOffset: Int { MemoryLayout<CachedStateEntry<Value>>.offset(of: \.changed)! }

  func changedEntryCount(upTo limit: Int) -> Int {
    var changed = 0
    guard limit > 0 else { return 0 }
    cache.forEachValueFlag(atOffset: changedOffset) { flag in
      if flag.pointee { changed += 1 }
      return changed < limit
    }
    return changed
  }

  func clearChangedFlags() {
    cache.forEachValueFlag(atOffset: changedOffset) { flag in
      flag.pointee = false
      return true
    }
  }

  func beginTracking() {
    tracksChanges = true
    changeLog = WriteBatch()
    for slot in 0..<cache.slotCount where cache.isOccupied(slot) {
      let entry = cache.value(inSlot: slot)
      entry.pointee.changed = false
      entry.pointee.inSnapshot = entry.pointee.value != nil
    }
  }

  func copyAll() -> @Sendable (RocksDB) throws -> Void {
    let copy = UncheckedBox(cache.copy())
    beginTracking()
    let encoder = StateKeyEncoder(stateId: stateId, maxParallelism: maxParallelism)
    return { db in
      let writer = SnapshotBatchWriter(db: db)
      var encoder = encoder
      try copy.value.forEach { address, entry in
        guard let value = entry.value else { return }
        try writer.put(encoder.key(address), encoder.value(value))
      }
      try writer.finish()
    }
  }

  func takeChanges() -> @Sendable (RocksDB) throws -> Void {
    let log = UncheckedBox(changeLog)
    changeLog = WriteBatch()
    var changed: [(StateKey<Key, Namespace>, Value?)] = []
    if budget.isEnabled {
      for slot in 0..<cache.slotCount where cache.isOccupied(slot) {
        let entry = cache.value(inSlot: slot)
        entry.pointee.inSnapshot = entry.pointee.value != nil
        guard entry.pointee.changed else { continue }
        entry.pointee.changed = false
        changed.append((cache.key(inSlot: slot), entry.pointee.value))
      }
    }
    let entries = UncheckedBox(changed)
    let encoder = StateKeyEncoder(stateId: stateId, maxParallelism: maxParallelism)
    return { db in
      // Older changes (that left the cache) first, so cached ones win.
      if log.value.count > 0 { try db.write(log.value) }
      let writer = SnapshotBatchWriter(db: db)
      var encoder = encoder
      for (address, value) in entries.value {
        if let value {
          try writer.put(encoder.key(address), encoder.value(value))
        } else {
          try writer.delete(encoder.key(address))
        }
      }
      try writer.finish()
    }
  }
}
