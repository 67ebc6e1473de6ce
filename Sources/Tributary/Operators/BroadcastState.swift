/// The broadcast state of one subtask of a broadcast-connected operator: a
/// map declared by a ``MapStateDescriptor`` and passed to
/// ``DataStream/broadcast(_:)``. Flink's `BroadcastState`.
///
/// Every subtask holds the same map, provided the function changes it only in
/// `processBroadcastElement` and the same way on every subtask (each subtask
/// sees every broadcast record, in the same order). It is checkpointed once
/// per subtask and every subtask of a restored job, at any parallelism,
/// starts from the map of the former subtask 0. Not thread-safe: used by its
/// subtask's task only.
public final class BroadcastState<MapKey: BinaryCodable & Hashable, MapValue: BinaryCodable> {
  /// The descriptor's name.
  public let name: String
  @usableFromInline var entries: [MapKey: MapValue] = [:]

  @usableFromInline
  init(name: String) { self.name = name }

  /// The value of `key`, if any.
  @inlinable public func get(_ key: MapKey) -> MapValue? { entries[key] }
  /// Whether `key` has a value.
  @inlinable public func contains(_ key: MapKey) -> Bool { entries[key] != nil }
  /// Every entry, in no particular order.
  @inlinable public var all: [MapKey: MapValue] { entries }
  /// How many entries it holds.
  @inlinable public var count: Int { entries.count }
  /// Sets the value of `key`.
  @inlinable public func put(_ key: MapKey, _ value: MapValue) { entries[key] = value }
  /// Removes `key`.
  @inlinable public func remove(_ key: MapKey) { entries[key] = nil }
  /// Removes every entry.
  @inlinable public func clear() { entries.removeAll() }

  /// The map's encoding for a snapshot (entries in the order of their encoded keys, so
  /// equal maps encode equally).
  func snapshotBytes() -> [UInt8] {
    var writer = BinaryWriter(capacity: 256)
    name.encode(to: &writer)
    let encoded = entries.map { ($0.key.encodedBytes(), $0.value.encodedBytes()) }
      .sorted { $0.0.lexicographicallyPrecedes($1.0) }
    writer.writeVarUInt(UInt64(encoded.count))
    for (key, value) in encoded {
      writer.writeLengthPrefixed(key)
      writer.writeLengthPrefixed(value)
    }
    return writer.bytes
  }

  /// Replaces the map with the one `bytes` (from ``snapshotBytes()``) holds.
  /// - Throws: ``StateError/corruptValue(state:keyGroup:underlying:)`` for
  ///   malformed bytes or a snapshot of another state; nothing is half-applied.
  func restore(from bytes: [UInt8]) throws {
    var reader = BinaryReader(bytes)
    var restored: [MapKey: MapValue] = [:]
    do throws(CodecError) {
      let stored = try String.decode(from: &reader)
      guard stored == name else {
        throw CodecError.invalid(
          type: "BroadcastState", reason: "snapshot of '\(stored)', expected '\(name)'")
      }
      let count = try reader.readVarUInt()
      for _ in 0..<count {
        var keyReader = BinaryReader(Array(try reader.readLengthPrefixed()))
        var valueReader = BinaryReader(Array(try reader.readLengthPrefixed()))
        restored[try MapKey.decode(from: &keyReader)] = try MapValue.decode(from: &valueReader)
      }
    } catch {
      throw StateError.corruptValue(state: name, keyGroup: -1, underlying: error)
    }
    entries = restored
  }
}
