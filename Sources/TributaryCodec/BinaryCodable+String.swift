extension String: BinaryCodable {
  /// UTF-8 bytes with a varint length prefix.
  ///
  /// Deterministic, but because of the length prefix the byte order of encoded
  /// strings is *not* their lexicographic order (shorter strings sort first).
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    var copy = self
    copy.withUTF8 { writer.writeLengthPrefixed($0) }
  }
  /// Reads a length-prefixed string; throws ``CodecError/invalid(type:reason:)``
  /// when the bytes are not valid UTF-8 and ``CodecError/truncated(type:needed:available:)``
  /// when the length exceeds the remaining input.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> String {
    let raw = try reader.readLengthPrefixed(for: "String")
    guard let value = String(validating: raw, as: UTF8.self) else {
      throw .invalid(type: "String", reason: "not valid UTF-8")
    }
    return value
  }
}
