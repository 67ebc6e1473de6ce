// Fixed-width integers. Every integer is written big-endian at its full
// width; signed integers have their sign bit flipped, so for every integer
// type the encoded bytes compare (lexicographically, as RocksDB does) exactly
// like the numbers they encode.

extension Int8: BinaryCodable {
  /// One byte, sign bit flipped so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.write(UInt8(bitPattern: self) ^ 0x80)
  }
  /// Reads the one byte written by ``encode(to:)``; throws only when the input is empty.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int8 {
    Int8(bitPattern: try reader.readByte(for: "Int8") ^ 0x80)
  }
}

extension Int16: BinaryCodable {
  /// Fixed 2 bytes, big-endian, sign bit flipped so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeFixed(UInt16(bitPattern: self) ^ (1 << 15))
  }
  /// Reads the 2 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int16 {
    Int16(bitPattern: try reader.readFixed(UInt16.self) ^ (1 << 15))
  }
}

extension Int32: BinaryCodable {
  /// Fixed 4 bytes, big-endian, sign bit flipped so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeFixed(UInt32(bitPattern: self) ^ (1 << 31))
  }
  /// Reads the 4 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int32 {
    Int32(bitPattern: try reader.readFixed(UInt32.self) ^ (1 << 31))
  }
}

extension Int64: BinaryCodable {
  /// Fixed 8 bytes, big-endian, sign bit flipped so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeFixed(UInt64(bitPattern: self) ^ (1 << 63))
  }
  /// Reads the 8 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int64 {
    Int64(bitPattern: try reader.readFixed(UInt64.self) ^ (1 << 63))
  }
}

extension Int: BinaryCodable {
  /// Encoded exactly like `Int64`, so an `Int` key and an `Int64` key hash alike.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { Int64(self).encode(to: &writer) }
  /// Reads an `Int64`; throws ``CodecError/invalid(type:reason:)`` if it does not fit in `Int`.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Int {
    let wide = try Int64.decode(from: &reader)
    guard let value = Int(exactly: wide) else {
      throw .invalid(type: "Int", reason: "\(wide) does not fit")
    }
    return value
  }
}

extension UInt8: BinaryCodable {
  /// One raw byte.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.write(self) }
  /// Reads one raw byte; throws only when the input is empty.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> UInt8 {
    try reader.readByte(for: "UInt8")
  }
}

extension UInt16: BinaryCodable {
  /// Fixed 2 bytes, big-endian, so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.writeFixed(self) }
  /// Reads the 2 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> UInt16 {
    try reader.readFixed(UInt16.self)
  }
}

extension UInt32: BinaryCodable {
  /// Fixed 4 bytes, big-endian, so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.writeFixed(self) }
  /// Reads the 4 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> UInt32 {
    try reader.readFixed(UInt32.self)
  }
}

extension UInt64: BinaryCodable {
  /// Fixed 8 bytes, big-endian, so byte order equals numeric order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.writeFixed(self) }
  /// Reads the 8 bytes written by ``encode(to:)``; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> UInt64 {
    try reader.readFixed(UInt64.self)
  }
}

extension UInt: BinaryCodable {
  /// Encoded exactly like `UInt64`, so a `UInt` key and a `UInt64` key hash alike.
  @inlinable
  public func encode(to writer: inout BinaryWriter) { UInt64(self).encode(to: &writer) }
  /// Reads a `UInt64`; throws ``CodecError/invalid(type:reason:)`` if it does not fit in `UInt`.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> UInt {
    let wide = try UInt64.decode(from: &reader)
    guard let value = UInt(exactly: wide) else {
      throw .invalid(type: "UInt", reason: "\(wide) does not fit")
    }
    return value
  }
}
