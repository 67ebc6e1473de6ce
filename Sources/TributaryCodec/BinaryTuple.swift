// Tuples. Swift tuples cannot conform to protocols, so composite keys and
// values use `Pair`/`Triple`, and ad-hoc tuples use the parameter-pack helpers
// below. All of them encode the components back to back with no framing, so a
// tuple's encoding equals the concatenation of its components' encodings (and
// `Pair(a, b)` encodes exactly like `writer.write(a, b)`).

extension BinaryWriter {
  /// Appends the encodings of `values`, in order, with no framing.
  /// Reading them back with ``BinaryReader/read(_:)`` restores the tuple.
  ///
  /// Disfavoured so that `write(1)` with a literal keeps meaning the single raw
  /// byte of ``write(_:)-(UInt8)`` rather than an 8-byte `Int`.
  @inlinable
  @_disfavoredOverload
  public mutating func write<each T: BinaryCodable>(_ values: repeat each T) {
    repeat (each values).encode(to: &self)
  }
}

extension BinaryReader {
  /// Reads one value of each of `types`, in order, as written by
  /// `BinaryWriter.write(_:)` with the same types. Throws the first component's ``CodecError``.
  @inlinable
  public mutating func read<each T: BinaryCodable>(_ types: repeat (each T).Type)
    throws(CodecError) -> (repeat each T)
  {
    (repeat try (each T).decode(from: &self))
  }
}

/// Two values used together as one state key or value (Swift tuples cannot conform
/// to protocols).
///
/// Encodes as `first` then `second` with no framing. When both components'
/// encodings are order-preserving and fixed-width (integers, floats, `Bool`),
/// byte order equals lexicographic order of `(first, second)`.
public struct Pair<A: BinaryCodable, B: BinaryCodable>: BinaryCodable {
  /// The first component.
  public var first: A
  /// The second component.
  public var second: B

  /// Creates a pair of `first` and `second`.
  @inlinable
  public init(_ first: A, _ second: B) {
    self.first = first
    self.second = second
  }

  /// The components as a Swift tuple.
  @inlinable
  public var tuple: (A, B) { (first, second) }

  /// Appends `first` then `second`.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    first.encode(to: &writer)
    second.encode(to: &writer)
  }

  /// Reads `first` then `second`; throws the first component's ``CodecError``.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Pair {
    let first = try A.decode(from: &reader)
    let second = try B.decode(from: &reader)
    return Pair(first, second)
  }
}

extension Pair: Equatable where A: Equatable, B: Equatable {}
extension Pair: Hashable where A: Hashable, B: Hashable {}
extension Pair: Codable where A: Codable, B: Codable {}

extension Pair: Comparable where A: Comparable, B: Comparable {
  /// Lexicographic order: by `first`, then by `second`.
  @inlinable
  public static func < (lhs: Pair, rhs: Pair) -> Bool {
    (lhs.first, lhs.second) < (rhs.first, rhs.second)
  }
}

extension Pair: CustomStringConvertible {
  /// `(first, second)`.
  public var description: String { "(\(first), \(second))" }
}

/// Three values used together as one state key or value (Swift tuples cannot
/// conform to protocols).
///
/// Encodes as `first`, `second`, `third` with no framing. When all components'
/// encodings are order-preserving and fixed-width, byte order equals
/// lexicographic order of `(first, second, third)`.
public struct Triple<A: BinaryCodable, B: BinaryCodable, C: BinaryCodable>: BinaryCodable {
  /// The first component.
  public var first: A
  /// The second component.
  public var second: B
  /// The third component.
  public var third: C

  /// Creates a triple of `first`, `second` and `third`.
  @inlinable
  public init(_ first: A, _ second: B, _ third: C) {
    self.first = first
    self.second = second
    self.third = third
  }

  /// The components as a Swift tuple.
  @inlinable
  public var tuple: (A, B, C) { (first, second, third) }

  /// Appends `first`, `second` then `third`.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    first.encode(to: &writer)
    second.encode(to: &writer)
    third.encode(to: &writer)
  }

  /// Reads `first`, `second` then `third`; throws the first component's ``CodecError``.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Triple {
    let first = try A.decode(from: &reader)
    let second = try B.decode(from: &reader)
    let third = try C.decode(from: &reader)
    return Triple(first, second, third)
  }
}

extension Triple: Equatable where A: Equatable, B: Equatable, C: Equatable {}
extension Triple: Hashable where A: Hashable, B: Hashable, C: Hashable {}
extension Triple: Codable where A: Codable, B: Codable, C: Codable {}

extension Triple: Comparable where A: Comparable, B: Comparable, C: Comparable {
  /// Lexicographic order: by `first`, then `second`, then `third`.
  @inlinable
  public static func < (lhs: Triple, rhs: Triple) -> Bool {
    (lhs.first, lhs.second, lhs.third) < (rhs.first, rhs.second, rhs.third)
  }
}

extension Triple: CustomStringConvertible {
  /// `(first, second, third)`.
  public var description: String { "(\(first), \(second), \(third))" }
}
