/// What an interval join keeps per key: both sides' accepted records by
/// event timestamp (see ``IntervalJoinFunction``).
public struct IntervalJoinBuffer<Left: BinaryCodable, Right: BinaryCodable>: BinaryCodable {
  /// Left records by timestamp.
  public var lefts: [Int64: [Left]]
  /// Right records by timestamp.
  public var rights: [Int64: [Right]]

  /// An empty buffer.
  @inlinable
  public init(lefts: [Int64: [Left]] = [:], rights: [Int64: [Right]] = [:]) {
    self.lefts = lefts
    self.rights = rights
  }

  /// Appends a left record at `time`; returns whether `time` was new on the left.
  @inlinable
  public mutating func appendLeft(_ value: Left, at time: Int64) -> Bool {
    lefts[time, default: []].append(value)
    return lefts[time]!.count == 1
  }

  /// Appends a right record at `time`; returns whether `time` was new on the right.
  @inlinable
  public mutating func appendRight(_ value: Right, at time: Int64) -> Bool {
    rights[time, default: []].append(value)
    return rights[time]!.count == 1
  }

  /// Both maps in order (left, then right).
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    lefts.encode(to: &writer)
    rights.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    Self(
      lefts: try [Int64: [Left]].decode(from: &reader),
      rights: try [Int64: [Right]].decode(from: &reader))
  }
}
