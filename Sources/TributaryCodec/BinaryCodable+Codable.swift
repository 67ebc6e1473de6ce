// The Codable fallback: `extension MyType: BinaryCodable {}` for any `Codable`
// type, with no hand-written encoding.
//
// Format (compact, deterministic, *positional*):
// - Struct/class fields (keyed containers) are written in the order the type
//   encodes them, with no field names. Decoding reads them back in the same
//   order, so **field order matters**: reordering, inserting or removing stored
//   properties (or `CodingKeys` cases) changes the format; persisted state
//   written by the old layout will not decode (it fails with a `CodecError` or,
//   if the layouts happen to be byte-compatible, decodes into the wrong fields).
// - Optional fields take a 0/1 tag byte (`encodeIfPresent` never omits them).
// - Values that are themselves `BinaryCodable` (integers, floats, Bool, String,
//   Pair, ...) use their own encoding; Optional, Array, Dictionary and Set use
//   the same format as their `BinaryCodable` conformances, even when their
//   elements are merely `Codable` (Dictionary/Set sorted by encoded key, so the
//   result is deterministic).
// - A nested container opened by key is preceded by the key's name, which is
//   how synthesized enum conformances (enums with associated values) record
//   their case.
// - Other unkeyed containers: a 4-byte element count, then the elements.
//
// Limits: custom `init(from:)` that iterates `allKeys` of a struct-like
// container or relies on `contains` to detect absent keys is not supported
// (`contains` is true for every key); `encodeNil`/`decodeNil` pair up only
// when used symmetrically. Slower than a hand-written conformance: use one for
// hot state types.

extension BinaryCodable where Self: Codable {
  /// Encodes `self` through its `Encodable` conformance in the compact positional
  /// format described above. Deterministic: equal values with deterministic
  /// `encode(to: Encoder)` produce identical bytes.
  ///
  /// - Precondition: `encode(to: Encoder)` does not throw (this encoder itself
  ///   never does); a throwing implementation is a programming error and traps.
  public func encode(to writer: inout BinaryWriter) {
    let state = CodableEncodingState()
    swap(&state.writer, &writer)
    defer { swap(&state.writer, &writer) }
    do {
      try self.encode(to: CodableBinaryEncoder(state: state, codingPath: []))
    } catch {
      preconditionFailure("encoding \(Self.self) threw: \(error)")
    }
  }

  /// Decodes a value written by ``encode(to:)`` through `init(from: Decoder)`.
  /// Any failure is a ``CodecError``: errors of the reader pass through, and a
  /// `DecodingError` (or other error) from `init(from:)` becomes
  /// ``CodecError/invalid(type:reason:)`` carrying its message.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let state = CodableDecodingState(reader: reader)
    let value: Self
    do {
      value = try Self(from: CodableBinaryDecoder(state: state, codingPath: []))
    } catch let error as CodecError {
      throw error
    } catch {
      throw .invalid(type: "\(Self.self)", reason: codecErrorMessage(error))
    }
    reader.position = state.reader.position
    return value
  }
}

/// A readable one-line message for an error thrown by `init(from:)`.
func codecErrorMessage(_ error: any Error) -> String {
  func path(_ context: DecodingError.Context) -> String {
    let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
    return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
  }
  switch error {
  case DecodingError.typeMismatch(let type, let context):
    return "type mismatch for \(type)\(path(context)): \(context.debugDescription)"
  case DecodingError.valueNotFound(let type, let context):
    return "value of \(type) not found\(path(context)): \(context.debugDescription)"
  case DecodingError.keyNotFound(let key, let context):
    return "key '\(key.stringValue)' not found\(path(context)): \(context.debugDescription)"
  case DecodingError.dataCorrupted(let context):
    return "data corrupted\(path(context)): \(context.debugDescription)"
  default:
    return "\(error)"
  }
}
