/// An append-only byte buffer that values encode themselves into.
///
/// Multi-byte integers are written big-endian so that the byte order of
/// encoded non-negative integers matches their numeric order (RocksDB keys sort
/// by bytes). Not thread-safe: use one writer per task.
public struct BinaryWriter: Sendable {
  /// The bytes written so far.
  public var bytes: [UInt8]

  /// Creates an empty writer with room for `capacity` bytes.
  @inlinable
  public init(capacity: Int = 64) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Forgets the bytes written, keeping the allocation for reuse.
  @inlinable
  public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

  /// Appends one byte.
  @inlinable
  public mutating func write(_ byte: UInt8) { bytes.append(byte) }

  /// Appends a fixed-width integer, big-endian.
  @inlinable
  public mutating func writeFixed<I: FixedWidthInteger>(_ value: I) {
    var big = value.bigEndian
    withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
  }

  /// Appends an unsigned LEB128 variable-length integer (1 to 10 bytes).
  @inlinable
  public mutating func writeVarUInt(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  /// Appends raw bytes without a length prefix.
  @inlinable
  public mutating func writeRaw<C: Collection>(_ raw: C) where C.Element == UInt8 {
    bytes.append(contentsOf: raw)
  }

  /// Appends a length-prefixed byte sequence.
  @inlinable
  public mutating func writeLengthPrefixed<C: Collection>(_ raw: C) where C.Element == UInt8 {
    writeVarUInt(UInt64(raw.count))
    bytes.append(contentsOf: raw)
  }
}
