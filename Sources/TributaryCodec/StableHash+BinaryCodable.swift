extension StableHash {
  /// The stable hash of `value`'s binary encoding: `hash(value.encodedBytes())`.
  ///
  /// Encodes into `writer` (reset first, capacity kept), so once the writer has
  /// grown to fit the largest key no further allocation happens. Identical in
  /// every process, run and machine, like ``hash(_:)``.
  @inlinable
  public static func hash(of value: some BinaryCodable, using writer: inout BinaryWriter)
    -> UInt64
  {
    writer.reset()
    value.encode(to: &writer)
    return writer.bytes.withUnsafeBufferPointer { hash($0) }
  }
}
