// The `Decoder` counterpart of `CodableEncoding.swift`: reads what that encoder
// wrote, throwing `CodecError` for malformed input.

/// Shared, mutable state of one decoding run: every container reads from this reader.
final class CodableDecodingState {
  var reader: BinaryReader

  init(reader: BinaryReader) { self.reader = reader }

  /// Decodes one value, mirroring ``CodableEncodingState/encode(_:codingPath:)``.
  func decode<T: Decodable>(_ type: T.Type, codingPath: [any CodingKey]) throws -> T {
    if let binary = T.self as? any BinaryCodable.Type {
      return try decodeBinary(binary) as! T
    } else if let special = T.self as? any CodableSpecialDecoding.Type {
      return try special.decodeSpecially(from: self, codingPath: codingPath) as! T
    } else {
      return try T(from: CodableBinaryDecoder(state: self, codingPath: codingPath))
    }
  }

  private func decodeBinary<B: BinaryCodable>(_ type: B.Type) throws(CodecError) -> B {
    try B.decode(from: &reader)
  }

  /// Reads the key name written before a nested container.
  func readKeyName() throws(CodecError) -> String {
    try String.decode(from: &reader)
  }

  /// Consumes a 0 byte (an encoded `nil`) if one is next.
  func decodeNil() -> Bool {
    guard reader.peekByte() == 0 else { return false }
    reader.position += 1
    return true
  }
}

struct CodableBinaryDecoder: Decoder {
  let state: CodableDecodingState
  var codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    KeyedDecodingContainer(KeyedBinaryDecoding<Key>(state: state, codingPath: codingPath))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try UnkeyedBinaryDecoding(state: state, codingPath: codingPath)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    SingleValueBinaryDecoding(state: state, codingPath: codingPath)
  }
}

/// Remembers a key name read ahead by `allKeys` until the nested container is opened.
final class PendingKeyName {
  var name: String?
}

/// Reads fields positionally: each `decode(_:forKey:)` reads the next value,
/// whatever the key. `allKeys` reports the key of a nested container (enough for
/// synthesized enum conformances); `contains` is always true otherwise.
struct KeyedBinaryDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let state: CodableDecodingState
  var codingPath: [any CodingKey]
  private let pending = PendingKeyName()

  init(state: CodableDecodingState, codingPath: [any CodingKey]) {
    self.state = state
    self.codingPath = codingPath
  }

  /// The key of the nested container that comes next, if the next bytes are a
  /// key name this container's `Key` type accepts; otherwise empty.
  var allKeys: [Key] {
    if let name = pending.name { return Key(stringValue: name).map { [$0] } ?? [] }
    var lookahead = state.reader
    guard let name = try? String.decode(from: &lookahead), let key = Key(stringValue: name)
    else { return [] }
    state.reader = lookahead
    pending.name = name
    return [key]
  }

  func contains(_ key: Key) -> Bool {
    guard let name = pending.name else { return true }
    return name == key.stringValue
  }

  func decodeNil(forKey key: Key) throws -> Bool { state.decodeNil() }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    try state.decode(T.self, codingPath: codingPath + [key])
  }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    try state.decode(T?.self, codingPath: codingPath + [key])
  }
  func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
    try Bool?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
    try String?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
    try Double?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
    try Float?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
    try Int?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
    try Int8?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
    try Int16?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
    try Int32?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
    try Int64?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
    try UInt?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
    try UInt8?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
    try UInt16?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
    try UInt32?.decode(from: &state.reader)
  }
  func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
    try UInt64?.decode(from: &state.reader)
  }

  private func expectKeyName(_ key: Key) throws {
    let name: String
    if let read = pending.name {
      name = read
      pending.name = nil
    } else {
      name = try state.readKeyName()
    }
    guard name == key.stringValue else {
      throw CodecError.invalid(
        type: "nested container",
        reason: "expected key '\(key.stringValue)', found '\(name)'")
    }
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key)
    throws -> KeyedDecodingContainer<NestedKey>
  {
    try expectKeyName(key)
    return KeyedDecodingContainer(
      KeyedBinaryDecoding<NestedKey>(state: state, codingPath: codingPath + [key]))
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try expectKeyName(key)
    return try UnkeyedBinaryDecoding(state: state, codingPath: codingPath + [key])
  }

  func superDecoder() throws -> any Decoder {
    CodableBinaryDecoder(state: state, codingPath: codingPath)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    CodableBinaryDecoder(state: state, codingPath: codingPath + [key])
  }
}

struct UnkeyedBinaryDecoding: UnkeyedDecodingContainer {
  let state: CodableDecodingState
  var codingPath: [any CodingKey]
  let count: Int?
  private(set) var currentIndex: Int = 0

  init(state: CodableDecodingState, codingPath: [any CodingKey]) throws {
    self.state = state
    self.codingPath = codingPath
    count = Int(try state.reader.readFixed(UInt32.self))
  }

  var isAtEnd: Bool { currentIndex >= count! }

  private mutating func next() throws -> [any CodingKey] {
    guard !isAtEnd else {
      throw CodecError.invalid(
        type: "unkeyed container", reason: "read past the last of \(count!) elements")
    }
    defer { currentIndex += 1 }
    return codingPath + [IndexCodingKey(currentIndex)]
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, state.decodeNil() else { return false }
    currentIndex += 1
    return true
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    let path = try next()
    return try state.decode(T.self, codingPath: path)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    let path = try next()
    return KeyedDecodingContainer(KeyedBinaryDecoding<NestedKey>(state: state, codingPath: path))
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    let path = try next()
    return try UnkeyedBinaryDecoding(state: state, codingPath: path)
  }

  mutating func superDecoder() throws -> any Decoder {
    let path = try next()
    return CodableBinaryDecoder(state: state, codingPath: path)
  }
}

struct SingleValueBinaryDecoding: SingleValueDecodingContainer {
  let state: CodableDecodingState
  var codingPath: [any CodingKey]

  func decodeNil() -> Bool { state.decodeNil() }
  func decode<T: Decodable>(_ type: T.Type) throws -> T {
    try state.decode(T.self, codingPath: codingPath)
  }
}

// MARK: - Standard-library containers with a fixed, deterministic wire format

/// Decoding side of ``CodableSpecialEncoding``.
protocol CodableSpecialDecoding {
  static func decodeSpecially(from state: CodableDecodingState, codingPath: [any CodingKey])
    throws -> Self
}

extension Optional: CodableSpecialDecoding where Wrapped: Decodable {
  static func decodeSpecially(from state: CodableDecodingState, codingPath: [any CodingKey])
    throws -> Wrapped?
  {
    switch try state.reader.readByte(for: "Optional<\(Wrapped.self)>") {
    case 0: return nil
    case 1: return try state.decode(Wrapped.self, codingPath: codingPath)
    case let tag:
      throw CodecError.invalid(
        type: "Optional<\(Wrapped.self)>", reason: "tag \(tag), expected 0 or 1")
    }
  }
}

extension Array: CodableSpecialDecoding where Element: Decodable {
  static func decodeSpecially(from state: CodableDecodingState, codingPath: [any CodingKey])
    throws -> [Element]
  {
    let count = try state.reader.readCount(for: "Array<\(Element.self)>")
    var result: [Element] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      result.append(
        try state.decode(Element.self, codingPath: codingPath + [IndexCodingKey(index)]))
    }
    return result
  }
}

extension Dictionary: CodableSpecialDecoding where Key: Decodable, Value: Decodable {
  static func decodeSpecially(from state: CodableDecodingState, codingPath: [any CodingKey])
    throws -> [Key: Value]
  {
    let type = "Dictionary<\(Key.self), \(Value.self)>"
    let count = try state.reader.readCount(for: type)
    var result: [Key: Value] = [:]
    result.reserveCapacity(count)
    var previous = 0..<0
    for i in 0..<count {
      let start = state.reader.position
      let key = try state.decode(Key.self, codingPath: codingPath)
      let current = start..<state.reader.position
      if i > 0 && !codecBytesPrecede(state.reader.bytes, previous, current) {
        throw CodecError.invalid(type: type, reason: "keys not in strictly ascending byte order")
      }
      previous = current
      let value = try state.decode(Value.self, codingPath: codingPath)
      if result.updateValue(value, forKey: key) != nil {
        throw CodecError.invalid(type: type, reason: "duplicate key")
      }
    }
    return result
  }
}

extension Set: CodableSpecialDecoding where Element: Decodable {
  static func decodeSpecially(from state: CodableDecodingState, codingPath: [any CodingKey])
    throws -> Set<Element>
  {
    let type = "Set<\(Element.self)>"
    let count = try state.reader.readCount(for: type)
    var result = Set<Element>(minimumCapacity: count)
    var previous = 0..<0
    for i in 0..<count {
      let start = state.reader.position
      let element = try state.decode(Element.self, codingPath: codingPath)
      let current = start..<state.reader.position
      if i > 0 && !codecBytesPrecede(state.reader.bytes, previous, current) {
        throw CodecError.invalid(
          type: type, reason: "elements not in strictly ascending byte order")
      }
      previous = current
      if !result.insert(element).inserted {
        throw CodecError.invalid(type: type, reason: "duplicate element")
      }
    }
    return result
  }
}
