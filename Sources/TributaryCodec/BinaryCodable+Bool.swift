extension Bool: BinaryCodable {
  /// One byte: 0 for `false`, 1 for `true` (so `false` sorts before `true`).
  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.write(self ? 1 : 0) }
  /// Reads one byte; any value other than 0 or 1 throws ``CodecError/invalid(type:reason:)``.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Bool {
    switch try reader.readByte(for: "Bool") {
    case 0: return false
    case 1: return true
    case let other: throw .invalid(type: "Bool", reason: "byte \(other), expected 0 or 1")
    }
  }
}
