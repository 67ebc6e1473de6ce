/// The namespace of state that is not scoped to a window or timer: one value per key.
public struct VoidNamespace: BinaryCodable, Hashable, Sendable {
  /// The only value.
  public init() {}
  /// Encodes to zero bytes.
  @inlinable public func encode(to writer: inout BinaryWriter) {}
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> VoidNamespace {
    VoidNamespace()
  }
}

/// A key together with a namespace: the address of one state value.
public struct StateKey<Key: Hashable & Sendable, Namespace: Hashable & Sendable>: Hashable, Sendable
{
  /// The record key.
  public var key: Key
  /// The namespace (``VoidNamespace`` for plain keyed state, a window for window state).
  public var namespace: Namespace

  /// Creates an address.
  @inlinable
  public init(_ key: Key, _ namespace: Namespace) {
    self.key = key
    self.namespace = namespace
  }
}

/// A value with the processing time of its last write, for state with a time-to-live.
public struct TimestampedValue<Value: BinaryCodable>: BinaryCodable {
  /// The stored value.
  public var value: Value
  /// Processing time (ms) of the last write.
  public var writtenAt: Int64

  /// Creates a timestamped value.
  @inlinable
  public init(value: Value, writtenAt: Int64) {
    self.value = value
    self.writtenAt = writtenAt
  }

  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writtenAt.encode(to: &writer)
    value.encode(to: &writer)
  }

  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let writtenAt = try Int64.decode(from: &reader)
    return Self(value: try Value.decode(from: &reader), writtenAt: writtenAt)
  }
}
