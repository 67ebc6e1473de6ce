extension Optional: BinaryCodable where Wrapped: BinaryCodable {
  /// A tag byte (0 = `nil`, 1 = value) followed by the wrapped value's encoding.
  /// `nil` therefore sorts before every value.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    switch self {
    case .none:
      writer.write(0)
    case .some(let wrapped):
      writer.write(1)
      wrapped.encode(to: &writer)
    }
  }
  /// Reads the tag and, for tag 1, the wrapped value. Tags other than 0 and 1
  /// throw ``CodecError/invalid(type:reason:)``.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Wrapped? {
    switch try reader.readByte(for: "Optional<\(Wrapped.self)>") {
    case 0: return nil
    case 1: return try Wrapped.decode(from: &reader)
    case let tag:
      throw .invalid(type: "Optional<\(Wrapped.self)>", reason: "tag \(tag), expected 0 or 1")
    }
  }
}
