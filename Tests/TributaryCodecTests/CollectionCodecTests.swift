import Testing
import TributaryCodec

@Test func byteArraysAreLengthPrefixedRawBytes() {
  var rng = SplitMix64(seed: 21)
  #expect([UInt8]().encodedBytes() == [0])
  #expect([UInt8]([1, 2, 255]).encodedBytes() == [3, 1, 2, 255])
  let big = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
  #expect(big.encodedBytes() == [0xAC, 0x02] + big)
  for _ in 0..<200 {
    let bytes = (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    expectRoundTrip(bytes)
  }
}

@Test func arraysRoundTrip() {
  var rng = SplitMix64(seed: 22)
  for _ in 0..<propertyCount {
    let ints = (0..<Int(rng.next() % 8)).map { _ in Int64(bitPattern: rng.next()) }
    expectRoundTrip(ints)
    let strings = (0..<Int(rng.next() % 5)).map { _ in randomString(using: &rng) }
    expectRoundTrip(strings)
  }
  expectRoundTrip([[Int8]]([[], [1, -1], [.min]]))
  expectRoundTrip([[UInt8]]([[], [1, 2], [255]]))
}

@Test func optionalsRoundTrip() {
  var rng = SplitMix64(seed: 23)
  #expect(Int32?.none.encodedBytes() == [0])
  #expect(Int8?.some(0).encodedBytes() == [1, 0x80])
  for _ in 0..<propertyCount {
    let value: Int16? = rng.next() % 3 == 0 ? nil : Int16(truncatingIfNeeded: rng.next())
    expectRoundTrip(value)
    let nested: String?? =
      switch rng.next() % 3 {
      case 0: .none
      case 1: .some(.none)
      default: .some(.some(randomString(using: &rng)))
      }
    expectRoundTrip(nested)
    let list: [Bool?]? =
      rng.next() % 4 == 0
      ? nil : (0..<Int(rng.next() % 4)).map { _ in rng.next() % 3 == 0 ? nil : rng.next() % 2 == 0 }
    expectRoundTrip(list)
  }
}

@Test func invalidOptionalTagIsRejected() {
  let error = codecError { _ = try Int8?.decode([2, 0]) }
  #expect(error == .invalid(type: "Optional<Int8>", reason: "tag 2, expected 0 or 1"))
}

func randomDictionary(using rng: inout SplitMix64) -> [String: [Int32?]] {
  var result: [String: [Int32?]] = [:]
  for _ in 0..<Int(rng.next() % 6) {
    result[randomString(using: &rng)] = (0..<Int(rng.next() % 3)).map { _ in
      rng.next() % 4 == 0 ? nil : Int32(truncatingIfNeeded: rng.next())
    }
  }
  return result
}

@Test func dictionariesAndSetsRoundTrip() {
  var rng = SplitMix64(seed: 24)
  for _ in 0..<propertyCount {
    expectRoundTrip(randomDictionary(using: &rng))
    let set = Set((0..<Int(rng.next() % 10)).map { _ in UInt16(truncatingIfNeeded: rng.next()) })
    expectRoundTrip(set)
  }
  let nested: [Int: [String: Bool]] = [1: ["a": true], -5: [:], 7: ["x": false, "y": true]]
  expectRoundTrip(nested)
}

@Test func dictionaryAndSetEncodingsAreDeterministic() {
  var rng = SplitMix64(seed: 25)
  for _ in 0..<200 {
    let keys = (0..<Int(rng.next() % 40)).map { _ in Int64(truncatingIfNeeded: rng.next()) }
    // Build the same contents in different insertion orders and capacities.
    var a: [Int64: String] = [:]
    for key in keys { a[key] = "\(key)" }
    var b: [Int64: String] = Dictionary(minimumCapacity: 1000)
    for key in keys.reversed() { b[key] = "\(key)" }
    #expect(a == b)
    #expect(a.encodedBytes() == b.encodedBytes())

    let setA = Set(keys)
    var setB = Set<Int64>(minimumCapacity: 500)
    for key in keys.shuffled(using: &rng) { setB.insert(key) }
    #expect(setA.encodedBytes() == setB.encodedBytes())
    // Entries are in ascending key order (Int64 encoding is order-preserving).
    #expect(setA.encodedBytes() == Array(setA.sorted()).encodedBytes())
  }
}

@Test func absurdCountsThrowWithoutAllocating() {
  var writer = BinaryWriter()
  writer.writeVarUInt(1 << 60)
  writer.writeRaw([1, 2, 3])
  let bytes = writer.bytes
  let expected = CodecError.truncated(type: "Array<Int64>", needed: 1 << 60, available: 3)
  #expect(codecError { _ = try [Int64].decode(bytes) } == expected)
  #expect(codecError { _ = try [UInt8].decode(bytes) } != nil)
  #expect(codecError { _ = try [String: Int].decode(bytes) } != nil)
  #expect(codecError { _ = try Set<Int8>.decode(bytes) } != nil)
  #expect(
    codecError {
      _ = try [UInt64].decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    } != nil)
}

@Test func nonCanonicalDictionariesAndSetsAreRejected() {
  // Two entries with keys in descending order.
  let descending: [UInt8] = [2] + Int8(5).encodedBytes() + [1] + Int8(3).encodedBytes() + [0]
  #expect(codecError { _ = try [Int8: Bool].decode(descending) } != nil)
  let duplicate: [UInt8] = [2] + Int8(3).encodedBytes() + Int8(3).encodedBytes()
  #expect(
    codecError { _ = try Set<Int8>.decode(duplicate) }
      == .invalid(type: "Set<Int8>", reason: "elements not in strictly ascending byte order"))
}
