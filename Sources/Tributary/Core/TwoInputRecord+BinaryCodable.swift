extension TwoInputRecord: BinaryCodable where A: BinaryCodable, B: BinaryCodable {
  /// One tag byte (0: first, 1: second), then the record.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    switch self {
    case .first(let value):
      UInt8(0).encode(to: &writer)
      value.encode(to: &writer)
    case .second(let value):
      UInt8(1).encode(to: &writer)
      value.encode(to: &writer)
    }
  }

  /// Reads what ``encode(to:)`` wrote; throws on a tag other than 0 or 1.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    switch try UInt8.decode(from: &reader) {
    case 0: return .first(try A.decode(from: &reader))
    case 1: return .second(try B.decode(from: &reader))
    case let tag:
      throw CodecError.invalid(type: "TwoInputRecord", reason: "unknown input tag \(tag)")
    }
  }
}
