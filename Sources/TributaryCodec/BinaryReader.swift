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
    let start = position
    let bigEndian = bytes.withUnsafeBytes {
      $0.loadUnaligned(fromByteOffset: start, as: I.self)
    }
    position += size
    return I(bigEndian: bigEndian)
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

  /// Reads a varint element count for a collection of `type`.
  ///
  /// Every element takes at least one byte, so a count larger than the bytes
  /// left cannot be valid: it throws ``CodecError/truncated(type:needed:available:)``
  /// before the caller allocates anything. The result is safe to pass to
  /// `reserveCapacity`.
  @inlinable
  public mutating func readCount(for type: String) throws(CodecError) -> Int {
    let count = try readVarUInt()
    guard count <= UInt64(remaining) else {
      throw .truncated(type: type, needed: Int(clamping: count), available: remaining)
    }
    return Int(count)
  }

  /// Returns the next byte without consuming it, or `nil` at the end.
  @inlinable
  public func peekByte() -> UInt8? {
    position < bytes.count ? bytes[position] : nil
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
