/// One stored entry read back from a snapshot, still encoded.
struct RestoredEntry {
  let keyGroup: Int
  let key: [UInt8]
  let namespace: [UInt8]
  let value: [UInt8]
}

/// A backend-independent snapshot of a keyed subtask's state: every entry of
/// every declared state, tagged with its key group, so that it can be
/// restored into either backend and redistributed by key group when the
/// parallelism changes.
///
/// Format (all integers big-endian): magic "TKS1", state count (varint), then
/// per state: name, kind (length-prefixed UTF-8), entry count (varint), and
/// entries of key group (UInt16) | key | namespace | value (each
/// length-prefixed). Decoding never traps: malformed bytes throw ``StateError``.
public struct KeyedStateSnapshot: Sendable {
  /// The encoded snapshot.
  public let bytes: [UInt8]

  /// Wraps encoded bytes (for example read back from checkpoint storage).
  public init(bytes: [UInt8]) { self.bytes = bytes }

  static let magic: [UInt8] = Array("TKS1".utf8)

  /// Whether `bytes` start like a keyed state snapshot.
  static func looksLikeSnapshot(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 4 && Array(bytes[0..<4]) == magic
  }

  /// Decodes every entry whose key group `keeps` accepts into `byState`
  /// (by state name: kind and entries), as a restore does.
  /// - Throws: `CodecError` for malformed bytes.
  func decodeEntries(
    into byState: inout [String: (kind: String, entries: [RestoredEntry])],
    keeping keeps: (Int) -> Bool
  ) throws(CodecError) {
    var reader = BinaryReader(bytes)
    let magic = try reader.readRaw(count: 4, for: "snapshot header")
    guard Array(magic) == Self.magic else {
      throw CodecError.invalid(type: "KeyedStateSnapshot", reason: "bad magic")
    }
    let states = try reader.readVarUInt()
    for _ in 0..<states {
      let name = try String.decode(from: &reader)
      let kind = try String.decode(from: &reader)
      let count = try reader.readVarUInt()
      var collected = byState[name] ?? (kind, [])
      for _ in 0..<count {
        let group = Int(try reader.readFixed(UInt16.self))
        let key = Array(try reader.readLengthPrefixed())
        let namespace = Array(try reader.readLengthPrefixed())
        let value = Array(try reader.readLengthPrefixed())
        if keeps(group) {
          collected.entries.append(
            RestoredEntry(keyGroup: group, key: key, namespace: namespace, value: value))
        }
      }
      byState[name] = collected
    }
  }
}

extension KeyedStateBackend {
  /// Whether state `name` was declared or restored.
  public func hasState(named name: String) -> Bool {
    registered[name] != nil || pendingRestore[name] != nil
  }

  /// Restores the snapshots in `context.restoredState`, if any.
  public func restoreFromContext() throws {
    guard !context.restoredState.isEmpty else { return }
    try restore(from: context.restoredState.map(KeyedStateSnapshot.init(bytes:)))
  }

  /// Takes a consistent snapshot of every declared state. RocksDB tables whose
  /// write-back cache holds all their entries are read from the cache alone;
  /// others flush the cache and scan RocksDB. Synchronous: the caller must not
  /// process records meanwhile.
  public func snapshot() throws -> KeyedStateSnapshot { try prepareSnapshot()() }

  /// The synchronous part of a snapshot: freezes every state (a memory copy for
  /// in-memory tables). The returned function, the asynchronous part, encodes
  /// the frozen state; it may run on another task while processing goes on.
  public func prepareSnapshot() throws -> @Sendable () throws -> KeyedStateSnapshot {
    let states = try registered.sorted { $0.value.id < $1.value.id }.map {
      (name: $0.key, kind: $0.value.kind, write: try $0.value.snapshot())
    }
    let pending = pendingRestore.sorted(by: { $0.key < $1.key })
    let frozen = UncheckedBox((states, pending))
    let gauges = sizeGauges
    return {
      let (snapshot, entries) = try Self.encode(frozen.value.0, pending: frozen.value.1)
      gauges.record(entries: entries, bytes: snapshot.bytes.count)
      return snapshot
    }
  }

  /// The snapshot of `states` and `pending`, and how many entries it holds.
  private static func encode(
    _ states: [(name: String, kind: String, write: (inout BinaryWriter) throws -> Int)],
    pending: [(key: String, value: (kind: String, entries: [RestoredEntry]))]
  ) throws -> (KeyedStateSnapshot, entries: Int) {
    var total = 0
    var writer = BinaryWriter(capacity: 4_096)
    writer.writeRaw(KeyedStateSnapshot.magic)
    writer.writeVarUInt(UInt64(states.count + pending.count))
    for state in states {
      state.name.encode(to: &writer)
      state.kind.encode(to: &writer)
      var entries = BinaryWriter(capacity: 1_024)
      let count = try state.write(&entries)
      total += count
      writer.writeVarUInt(UInt64(count))
      writer.writeRaw(entries.bytes)
    }
    // Restored states this run never declared are carried over unchanged.
    for (name, pending) in pending {
      name.encode(to: &writer)
      pending.kind.encode(to: &writer)
      writer.writeVarUInt(UInt64(pending.entries.count))
      total += pending.entries.count
      for entry in pending.entries {
        writer.writeFixed(UInt16(entry.keyGroup))
        writer.writeLengthPrefixed(entry.key)
        writer.writeLengthPrefixed(entry.namespace)
        writer.writeLengthPrefixed(entry.value)
      }
    }
    return (KeyedStateSnapshot(bytes: writer.bytes), total)
  }

  /// Restores the entries of `snapshots` whose key group this subtask owns
  /// (so a job can resume with another parallelism). States already declared
  /// receive their entries now; others when they are declared.
  /// - Throws: ``StateError/corruptValue(state:keyGroup:underlying:)`` for
  ///   malformed snapshot bytes (nothing is half-applied to undeclared states).
  public func restore(from snapshots: [KeyedStateSnapshot]) throws {
    let owned = context.keyGroupRange
    var byState: [String: (kind: String, entries: [RestoredEntry])] = [:]
    for snapshot in snapshots {
      do throws(CodecError) {
        try snapshot.decodeEntries(into: &byState) { owned.contains($0) }
      } catch {
        throw StateError.corruptValue(
          state: "(snapshot of \(context.operatorName))", keyGroup: -1, underlying: error)
      }
    }
    for (name, restored) in byState {
      if let state = registered[name] {
        guard state.kind == restored.kind else {
          throw StateError.conflictingDeclaration(state: name)
        }
        state.reserve(restored.entries.count)
        for entry in restored.entries { try state.restore(entry.key, entry.namespace, entry.value) }
      } else {
        pendingRestore[name] = restored
      }
    }
  }
}
