import Foundation
import RocksDB
import TributaryCodec

extension KeyedStateBackend {
  /// The synchronous part of the snapshot for `request`; the returned
  /// function is the asynchronous part.
  ///
  /// RocksDB state with checkpoint storage takes an incremental native
  /// snapshot (see ``IncrementalRocksDBSnapshots``): the synchronous part only
  /// collects the changes since the previous snapshot, and the files stored
  /// are SST files of a native RocksDB checkpoint, unchanged ones referenced
  /// again instead of copied. Heap state, and any snapshot without storage,
  /// is a portable ``KeyedStateSnapshot`` encoded asynchronously.
  public func prepareSnapshot(_ request: SnapshotRequest) throws
    -> @Sendable () throws -> OperatorSnapshot
  {
    guard configuration.kind == .rocksdb, configuration.rocksDBSnapshots != .portable,
      request.storage != nil, let db
    else {
      // Portable: no snapshot database, no change tracking, no pass over the cache.
      let encode = try prepareSnapshot()
      return { OperatorSnapshot(bytes: try encode().bytes) }
    }
    let snapshots = try openIncrementalSnapshots()
    // RocksDB's own estimates plus what the write-back caches hold unflushed.
    let estimatedKeys = (try? db.integerProperty("rocksdb.estimate-num-keys")) ?? nil
    let liveBytes = (try? db.integerProperty("rocksdb.estimate-live-data-size")) ?? nil
    sizeGauges.record(
      entries: Int(clamping: estimatedKeys ?? 0),
      bytes: Int(clamping: liveBytes ?? 0) + budget.usedBytes)
    let pending = pendingRestore.sorted { $0.key < $1.key }
    let declared = registered.sorted { $0.value.id < $1.value.id }
    var layout = declared.map {
      IncrementalRocksDBSnapshots.StateLayout(id: $0.value.id, name: $0.key, kind: $0.value.kind)
    }
    // Restored states not declared yet keep their entries under ids of their own.
    for (index, state) in pending.enumerated() {
      layout.append(.init(id: 0x8000 + UInt16(index), name: state.key, kind: state.value.kind))
    }
    let sources = declared.compactMap { $0.value.table as? IncrementalSnapshotSource }
    if try portableIsCheaper(sources) {
      // Sharing files would gain little: write every entry (the pause is a
      // copy of the cache), and start the next native snapshot afresh.
      snapshots.requireFullSnapshot()
      let encode = try prepareSnapshot()
      for source in sources { source.clearChangedFlags() }  // changes count from now
      return { OperatorSnapshot(bytes: try encode().bytes) }
    }
    let full = snapshots.needsFullSnapshot(layout: layout)
    var writes: [@Sendable (RocksDB) throws -> Void] = []
    var base: String?
    if full {
      if sources.allSatisfy(\.isFullyCached) {
        writes = sources.map { $0.copyAll() }
      } else {
        // Bring the working database up to date and start from a native copy of it.
        for source in sources {
          try source.flush()
          source.beginTracking()
        }
        let path = snapshots.newBasePath()
        do { try db.createCheckpoint(at: path) } catch {
          throw StateError.storage(
            state: "(snapshot of \(context.operatorName))", underlying: error)
        }
        base = path
      }
      for (index, state) in pending.enumerated() {
        let id = 0x8000 + UInt16(index)
        let entries = UncheckedBox(state.value.entries)
        writes.append { db in
          let writer = SnapshotBatchWriter(db: db)
          for entry in entries.value {
            var key = BinaryWriter(capacity: entry.key.count + entry.namespace.count + 4)
            key.writeFixed(UInt16(entry.keyGroup))
            key.writeFixed(id)
            key.writeRaw(entry.key)
            key.writeRaw(entry.namespace)
            try writer.put(key.bytes, entry.value)
          }
          try writer.finish()
        }
      }
    } else {
      writes = sources.map { $0.takeChanges() }
    }
    let store = snapshots.prepare(full: full, base: base, writes: writes, layout: layout)
    return { try store(request) }
  }

  /// Whether this snapshot is written in the portable format although the
  /// state is in RocksDB (see ``StateBackendConfiguration/RocksDBSnapshots``).
  func portableIsCheaper(_ sources: [IncrementalSnapshotSource]) throws -> Bool {
    switch configuration.rocksDBSnapshots {
    case .portable: return true  // handled before; kept for completeness of the switch
    case .incremental: return false
    case .automatic:
      // State beyond the cache is large: native snapshots avoid reading it all.
      guard sources.allSatisfy(\.isFullyCached) else { return false }
      let entries = sources.reduce(0) { $0 + $1.cachedEntryCount }
      if entries < StateBackendConfiguration.incrementalMinimumEntries { return true }
      // Count changes only until the share that makes portable cheaper.
      let ratio = StateBackendConfiguration.portableChangeRatio
      var needed = (entries + ratio - 1) / ratio
      for source in sources where needed > 0 {
        needed -= source.changedEntryCount(upTo: needed)
      }
      return needed == 0
    }
  }

  /// The incremental snapshot store of this subtask, created on first use.
  func openIncrementalSnapshots() throws -> IncrementalRocksDBSnapshots {
    if let incrementalSnapshots { return incrementalSnapshots }
    let safeName = String(context.operatorName.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    let working = workingDirectory ?? NSTemporaryDirectory() + "/tributary-\(UUID().uuidString)"
    do {
      let created = try IncrementalRocksDBSnapshots(
        directory: working + ".snapshots", options: configuration.rocksDB,
        filePrefix:
          "rocksdb/\(safeName)-\(context.subtaskIndex)-\(UUID().uuidString.prefix(8).lowercased())")
      incrementalSnapshots = created
      return created
    } catch {
      throw StateError.storage(state: "(snapshots of \(context.operatorName))", underlying: error)
    }
  }
}
