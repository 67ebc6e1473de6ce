import TributaryCodec

/// Encodes RocksDB keys (key group | state id | key | namespace, see
/// ``RocksDBStateTable``) and values into its own scratch buffers. A value:
/// each copy owns its buffers, so one can encode on another thread (snapshot
/// writes) while the table's own copy serves the record path.
@usableFromInline
struct StateKeyEncoder: Sendable {
  @usableFromInline let stateId: UInt16
  @usableFromInline let maxParallelism: Int
  @usableFromInline var keyScratch = BinaryWriter(capacity: 64)
  @usableFromInline var hashScratch = BinaryWriter(capacity: 32)
  @usableFromInline var valueScratch = BinaryWriter(capacity: 64)

  @inlinable
  init(stateId: UInt16, maxParallelism: Int) {
    self.stateId = stateId
    self.maxParallelism = maxParallelism
  }

  /// The RocksDB key of `address`: key group | state id | key | namespace.
  @inlinable
  mutating func key<K: BinaryCodable, N: BinaryCodable>(_ address: StateKey<K, N>) -> [UInt8] {
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

  /// The stored encoding of `value`.
  @inlinable
  mutating func value<V: BinaryCodable>(_ value: V) -> [UInt8] {
    valueScratch.reset()
    value.encode(to: &valueScratch)
    return valueScratch.bytes
  }
}
