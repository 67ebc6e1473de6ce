/// A value with a compact, deterministic binary encoding.
///
/// Tributary uses this encoding for keys and values in state, for key-group
/// hashing and for checkpoints. Guarantees:
/// - `encode` is deterministic: equal values always produce identical bytes, in
///   every process and run (the stable key-group hash depends on it).
/// - `decode(from:)` reads exactly the bytes `encode` wrote and throws a
///   ``CodecError`` (never traps) on truncated or malformed input.
public protocol BinaryCodable: Sendable {
  /// Appends this value's encoding to `writer`.
  func encode(to writer: inout BinaryWriter)
  /// Reads one value previously written by ``encode(to:)``.
  static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self
}

extension BinaryCodable {
  /// This value's encoding as a fresh byte array (allocates; hot paths reuse a writer).
  @inlinable
  public func encodedBytes() -> [UInt8] {
    var writer = BinaryWriter()
    encode(to: &writer)
    return writer.bytes
  }

  /// Decodes a value that must occupy all of `bytes`.
  /// - Throws: ``CodecError`` when the bytes are truncated, malformed, or have bytes left over.
  @inlinable
  public static func decode(_ bytes: [UInt8]) throws(CodecError) -> Self {
    var reader = BinaryReader(bytes)
    let value = try Self.decode(from: &reader)
    guard reader.isAtEnd else {
      throw CodecError.trailingBytes(type: "\(Self.self)", count: reader.remaining)
    }
    return value
  }
}
