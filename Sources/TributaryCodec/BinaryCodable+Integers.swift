extension Int64: BinaryCodable {
  /// Fixed 8 bytes, big-endian, sign bit flipped so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeFixed(UInt64(bitPattern: self) ^ (1 << 63))
  }
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int64 {
    Int64(bitPattern: try reader.readFixed(UInt64.self) ^ (1 << 63))
  }
}

extension Int: BinaryCodable {
  /// Encoded exactly like `Int64`, so an `Int` key and an `Int64` key hash alike.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { Int64(self).encode(to: &writer) }
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int {
    let wide = try Int64.decode(from: &reader)
    guard let value = Int(exactly: wide) else {
      throw .invalid(type: "Int", reason: "\(wide) does not fit")
    }
    return value
  }
}

extension String: BinaryCodable {
  /// UTF-8 bytes with a varint length prefix.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    var copy = self
    copy.withUTF8 { writer.writeLengthPrefixed($0) }
  }
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> String {
    let raw = try reader.readLengthPrefixed(for: "String")
    guard let value = String(validating: raw, as: UTF8.self) else {
      throw .invalid(type: "String", reason: "not valid UTF-8")
    }
    return value
  }
}
