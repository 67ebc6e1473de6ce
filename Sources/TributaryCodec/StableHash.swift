/// A 64-bit hash of bytes that is identical in every process, run and machine.
///
/// Unlike Swift's `Hasher`, it has no per-process seed, so it can place keys in
/// key groups that survive restarts. The function is FNV-1a over the bytes
/// followed by a murmur3 finaliser for good mixing of the low bits.
public enum StableHash {
  /// Hashes `bytes`.
  @inlinable
  public static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      h ^= UInt64(byte)
      h &*= 0x0000_0100_0000_01b3
    }
    return finalize(h)
  }

  /// The hash of the 8 bytes of `value` in big-endian order: equal to
  /// `hash(bytes)` of those bytes, without materialising them.
  @inlinable
  public static func hash(bigEndianBytesOf value: UInt64) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var shift: UInt64 = 56
    for _ in 0..<8 {
      h ^= (value >> shift) & 0xFF
      h &*= 0x0000_0100_0000_01b3
      shift &-= 8
    }
    return finalize(h)
  }

  /// The murmur3 64-bit finaliser.
  @inlinable
  public static func finalize(_ value: UInt64) -> UInt64 {
    var h = value
    h ^= h >> 33
    h &*= 0xff51_afd7_ed55_8ccd
    h ^= h >> 33
    h &*= 0xc4ce_b9fe_1a85_ec53
    h ^= h >> 33
    return h
  }
}
