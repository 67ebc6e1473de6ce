// A compact, deterministic binary `Encoder` writing into a `BinaryWriter`.
// It backs the `Codable` fallback of `BinaryCodable`; see
// `BinaryCodable+Codable.swift` for the format and its limits.

/// Shared, mutable state of one encoding run: every container appends to this writer.
final class CodableEncodingState {
  var writer: BinaryWriter

  init(writer: BinaryWriter = BinaryWriter(capacity: 0)) { self.writer = writer }

  /// Encodes one value. `BinaryCodable` values use their own encoding; Optional,
  /// Array, Dictionary and Set of Codable elements use the same wire format as
  /// their `BinaryCodable` conformances (Dictionary/Set sorted, so deterministic);
  /// everything else goes through `Encodable`.
  func encode<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
    if T.self is any BinaryCodable.Type, let binary = value as? any BinaryCodable {
      binary.encode(to: &writer)
    } else if let special = value as? any CodableSpecialEncoding {
      try special.encodeSpecially(into: self, codingPath: codingPath)
    } else {
      try value.encode(to: CodableBinaryEncoder(state: self, codingPath: codingPath))
    }
  }

  /// Writes a key name: how a nested container records which key it belongs to.
  func writeKeyName(_ key: any CodingKey) {
    key.stringValue.encode(to: &writer)
  }
}

struct CodableBinaryEncoder: Encoder {
  let state: CodableEncodingState
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(KeyedBinaryEncoding<Key>(state: state, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    UnkeyedBinaryEncoding(state: state, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleValueBinaryEncoding(state: state, codingPath: codingPath)
  }
}

/// Fields are written positionally, in the order they are encoded; keys are
/// not stored, except before a nested container (which is how synthesized enum
/// conformances record the case).
struct KeyedBinaryEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let state: CodableEncodingState
  var codingPath: [any CodingKey]

  mutating func encodeNil(forKey key: Key) throws { state.writer.write(0) }

  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try state.encode(value, codingPath: codingPath + [key])
  }
  mutating func encode(_ value: Bool, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: String, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encode(_ value: Double, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encode(_ value: Float, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: Int, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: Int8, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: Int16, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: UInt, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: UInt8, forKey key: Key) throws { value.encode(to: &state.writer) }
  mutating func encode(_ value: UInt16, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encode(_ value: UInt32, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encode(_ value: UInt64, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }

  // Positional encoding cannot omit absent optionals: they get a 0/1 tag, like
  // `Optional: BinaryCodable`.
  mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
    try state.encode(value, codingPath: codingPath + [key])
  }
  mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }
  mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
    value.encode(to: &state.writer)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type, forKey key: Key
  ) -> KeyedEncodingContainer<NestedKey> {
    state.writeKeyName(key)
    return KeyedEncodingContainer(
      KeyedBinaryEncoding<NestedKey>(state: state, codingPath: codingPath + [key]))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    state.writeKeyName(key)
    return UnkeyedBinaryEncoding(state: state, codingPath: codingPath + [key])
  }

  mutating func superEncoder() -> any Encoder {
    CodableBinaryEncoder(state: state, codingPath: codingPath)
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    CodableBinaryEncoder(state: state, codingPath: codingPath + [key])
  }
}

/// A 4-byte big-endian element count (patched in place after every element,
/// since there is no "container finished" hook), then the elements.
struct UnkeyedBinaryEncoding: UnkeyedEncodingContainer {
  let state: CodableEncodingState
  var codingPath: [any CodingKey]
  private(set) var count: Int = 0
  private let countOffset: Int

  init(state: CodableEncodingState, codingPath: [any CodingKey]) {
    self.state = state
    self.codingPath = codingPath
    countOffset = state.writer.bytes.count
    state.writer.writeFixed(UInt32(0))
  }

  private mutating func didAppend() {
    count += 1
    let value = UInt32(truncatingIfNeeded: count)
    for i in 0..<4 {
      state.writer.bytes[countOffset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i))
    }
  }

  private var elementPath: [any CodingKey] { codingPath + [IndexCodingKey(count)] }

  mutating func encodeNil() throws {
    state.writer.write(0)
    didAppend()
  }

  mutating func encode<T: Encodable>(_ value: T) throws {
    try state.encode(value, codingPath: elementPath)
    didAppend()
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let path = elementPath
    didAppend()
    return KeyedEncodingContainer(KeyedBinaryEncoding<NestedKey>(state: state, codingPath: path))
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let path = elementPath
    didAppend()
    return UnkeyedBinaryEncoding(state: state, codingPath: path)
  }

  mutating func superEncoder() -> any Encoder {
    let path = elementPath
    didAppend()
    return CodableBinaryEncoder(state: state, codingPath: path)
  }
}

struct SingleValueBinaryEncoding: SingleValueEncodingContainer {
  let state: CodableEncodingState
  var codingPath: [any CodingKey]

  mutating func encodeNil() throws { state.writer.write(0) }
  mutating func encode<T: Encodable>(_ value: T) throws {
    try state.encode(value, codingPath: codingPath)
  }
}

/// A coding key for an array position.
struct IndexCodingKey: CodingKey {
  var intValue: Int?
  var stringValue: String { intValue.map(String.init) ?? "" }
  init(_ index: Int) { intValue = index }
  init?(intValue: Int) { self.intValue = intValue }
  init?(stringValue: String) {
    guard let index = Int(stringValue) else { return nil }
    intValue = index
  }
}

// MARK: - Standard-library containers with a fixed, deterministic wire format

/// Types the Codable encoder writes in the same format as their `BinaryCodable`
/// conformance, even when their elements are only `Codable`.
protocol CodableSpecialEncoding {
  func encodeSpecially(into state: CodableEncodingState, codingPath: [any CodingKey]) throws
}

extension Optional: CodableSpecialEncoding where Wrapped: Encodable {
  func encodeSpecially(into state: CodableEncodingState, codingPath: [any CodingKey]) throws {
    switch self {
    case .none:
      state.writer.write(0)
    case .some(let wrapped):
      state.writer.write(1)
      try state.encode(wrapped, codingPath: codingPath)
    }
  }
}

extension Array: CodableSpecialEncoding where Element: Encodable {
  func encodeSpecially(into state: CodableEncodingState, codingPath: [any CodingKey]) throws {
    state.writer.writeVarUInt(UInt64(count))
    for (index, element) in enumerated() {
      try state.encode(element, codingPath: codingPath + [IndexCodingKey(index)])
    }
  }
}

extension Dictionary: CodableSpecialEncoding where Key: Encodable, Value: Encodable {
  func encodeSpecially(into state: CodableEncodingState, codingPath: [any CodingKey]) throws {
    var entries: [(key: [UInt8], value: Value)] = []
    entries.reserveCapacity(count)
    for (key, value) in self {
      let keyState = CodableEncodingState()
      try keyState.encode(key, codingPath: codingPath)
      entries.append((keyState.writer.bytes, value))
    }
    entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
    state.writer.writeVarUInt(UInt64(count))
    for entry in entries {
      state.writer.writeRaw(entry.key)
      try state.encode(entry.value, codingPath: codingPath)
    }
  }
}

extension Set: CodableSpecialEncoding where Element: Encodable {
  func encodeSpecially(into state: CodableEncodingState, codingPath: [any CodingKey]) throws {
    var encoded: [[UInt8]] = []
    encoded.reserveCapacity(count)
    for element in self {
      let elementState = CodableEncodingState()
      try elementState.encode(element, codingPath: codingPath)
      encoded.append(elementState.writer.bytes)
    }
    encoded.sort { $0.lexicographicallyPrecedes($1) }
    state.writer.writeVarUInt(UInt64(count))
    for bytes in encoded { state.writer.writeRaw(bytes) }
  }
}
