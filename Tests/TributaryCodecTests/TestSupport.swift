import Testing
import TributaryCodec

/// SplitMix64: a tiny, seeded, deterministic generator so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}

/// Number of random values per property test.
let propertyCount = 1000

/// Random integers of type `I`, biased to include the edges.
func randomIntegers<I: FixedWidthInteger>(_: I.Type, seed: UInt64, count: Int = propertyCount)
  -> [I]
{
  var rng = SplitMix64(seed: seed)
  var values: [I] = [.min, .max, 0, 1, .max - 1, .min + 1]
  if I.isSigned { values.append(-1) }
  while values.count < count {
    switch rng.next() % 4 {
    case 0: values.append(I(truncatingIfNeeded: rng.next() % 256) &- 128)  // small
    default: values.append(I(truncatingIfNeeded: rng.next()))
    }
  }
  return values
}

/// A random string mixing ASCII, multi-byte scalars and emoji.
func randomString(using rng: inout SplitMix64) -> String {
  let alphabet: [Character] = ["a", "b", "z", "0", " ", "é", "ß", "中", "文", "🙂", "👍🏽", "\u{0}"]
  let length = Int(rng.next() % 12)
  return String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
}

/// Decodes `value`'s encoding with `decode(_:)` and checks it matches; also checks
/// that every strict prefix of the encoding throws a `CodecError` (never traps).
func expectRoundTrip<T: BinaryCodable>(
  _ value: T, equal: (T, T) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) {
  let bytes = value.encodedBytes()
  do {
    let decoded = try T.decode(bytes)
    #expect(equal(decoded, value), "\(value) decoded as \(decoded)", sourceLocation: sourceLocation)
    #expect(decoded.encodedBytes() == bytes, sourceLocation: sourceLocation)
  } catch {
    Issue.record("decoding \(value) threw \(error)", sourceLocation: sourceLocation)
  }
  for length in 0..<bytes.count {
    #expect(throws: CodecError.self, sourceLocation: sourceLocation) {
      _ = try T.decode(Array(bytes[..<length]))
    }
  }
}

func expectRoundTrip<T: BinaryCodable & Equatable>(
  _ value: T, sourceLocation: SourceLocation = #_sourceLocation
) {
  expectRoundTrip(value, equal: ==, sourceLocation: sourceLocation)
}

/// The error `body` throws; records an issue if it throws something other than `CodecError`.
func codecError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> CodecError? {
  do {
    try body()
    return nil
  } catch let error as CodecError {
    return error
  } catch {
    Issue.record("expected a CodecError, got \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Whether `lhs` sorts strictly before `rhs` as RocksDB compares keys.
func bytesPrecede(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool { lhs.lexicographicallyPrecedes(rhs) }
