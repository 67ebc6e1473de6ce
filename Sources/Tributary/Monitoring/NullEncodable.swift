/// An optional that is encoded as JSON `null` when absent, instead of being
/// left out as synthesized `Encodable` does, so every field of the REST API's
/// answers is always present. Decoding accepts a missing key as `nil`.
@propertyWrapper
public struct NullEncodable<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
  /// The value, or `nil`.
  public var wrappedValue: Value?

  /// Wraps `wrappedValue`.
  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  /// Encodes the value, or `null`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
  }

  /// Decodes the value; `null` is `nil`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
  }
}

extension KeyedDecodingContainer {
  /// A missing key decodes as an absent ``NullEncodable`` value.
  public func decode<Value>(_ type: NullEncodable<Value>.Type, forKey key: Key) throws
    -> NullEncodable<Value>
  {
    try decodeIfPresent(type, forKey: key) ?? NullEncodable(wrappedValue: nil)
  }
}
