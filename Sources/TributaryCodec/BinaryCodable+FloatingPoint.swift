// Floating-point numbers are encoded as their IEEE 754 bit pattern, big-endian,
// with an order-preserving transform: positive numbers get their sign bit set,
// negative numbers have all bits inverted. As a result, for all non-NaN values
// the encoded bytes compare like the numbers (-inf < ... < -0.0 < +0.0 < ... < +inf).
//
// The transform is a bijection on bit patterns, so decoding restores the exact
// bits (NaN payloads, signalling NaNs and the sign of zero survive). Caveat for
// keys: -0.0 == +0.0 in Swift but the two encode differently; normalise zeros
// yourself if they must land in the same key.

extension Float: BinaryCodable {
  /// Fixed 4 bytes: the order-preserving transform of `bitPattern`, big-endian.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    let bits = bitPattern
    writer.writeFixed(bits & (1 << 31) == 0 ? bits | (1 << 31) : ~bits)
  }
  /// Reads 4 bytes and restores the exact bit pattern; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Float {
    let bits = try reader.readFixed(UInt32.self)
    return Float(bitPattern: bits & (1 << 31) != 0 ? bits & ~(1 << 31) : ~bits)
  }
}

extension Double: BinaryCodable {
  /// Fixed 8 bytes: the order-preserving transform of `bitPattern`, big-endian.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    let bits = bitPattern
    writer.writeFixed(bits & (1 << 63) == 0 ? bits | (1 << 63) : ~bits)
  }
  /// Reads 8 bytes and restores the exact bit pattern; throws when fewer remain.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Double {
    let bits = try reader.readFixed(UInt64.self)
    return Double(bitPattern: bits & (1 << 63) != 0 ? bits & ~(1 << 63) : ~bits)
  }
}
