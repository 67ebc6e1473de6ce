/// Reads values back from bytes written by ``BinaryWriter``.
///
/// Every read checks bounds and throws ``CodecError`` instead of trapping.
public struct BinaryReader: Sendable {
  /// The bytes being read.
  public let bytes: [UInt8]
  /// Offset of the next unread byte.
  public var position: Int

  /// Creates a reader positioned at the first byte.
  @inlinable
  public init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.position = 0
  }

  /// Bytes not yet read.
  @inlinable
  public var remaining: Int { bytes.count - position }

  /// Whether every byte has been read.
  @inlinable
  public var isAtEnd: Bool { position >= bytes.count }

  /// Reads one byte.
  @inlinable
  public mutating func readByte(for type: String = "UInt8") throws(CodecError) -> UInt8 {
    guard position < bytes.count else {
      throw .truncated(type: type, needed: 1, available: 0)
    }
    defer { position += 1 }
    return bytes[position]
  }

  /// Reads a big-endian fixed-width integer.
  @inlinable
  public mutating func readFixed<I: FixedWidthInteger>(_: I.Type) throws(CodecError) -> I {
    let size = MemoryLayout<I>.size
    guard remaining >= size else {
      throw .truncated(type: "\(I.self)", needed: size, available: remaining)
    }
    var value = I.zero
    for i in 0..<size {
      value = (value << 8) | I(truncatingIfNeeded: bytes[position + i])
    }
    position += size
    return value
  }

  /// Reads an unsigned LEB128 integer.
  @inlinable
  public mutating func readVarUInt() throws(CodecError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = try readByte(for: "varint")
      if shift == 63 && byte > 1 {
        throw .invalid(type: "varint", reason: "more than 64 bits")
      }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw .invalid(type: "varint", reason: "longer than 10 bytes") }
    }
  }

  /// Reads exactly `count` raw bytes.
  @inlinable
  public mutating func readRaw(count: Int, for type: String = "bytes") throws(CodecError)
    -> ArraySlice<UInt8>
  {
    guard count >= 0, remaining >= count else {
      throw .truncated(type: type, needed: count, available: remaining)
    }
    defer { position += count }
    return bytes[position..<position + count]
  }

  /// Reads a length-prefixed byte sequence written by `writeLengthPrefixed`.
  @inlinable
  public mutating func readLengthPrefixed(for type: String = "bytes") throws(CodecError)
    -> ArraySlice<UInt8>
  {
    let length = try readVarUInt()
    guard length <= UInt64(remaining) else {
      throw .truncated(type: type, needed: Int(clamping: length), available: remaining)
    }
    return try readRaw(count: Int(length), for: type)
  }
}
