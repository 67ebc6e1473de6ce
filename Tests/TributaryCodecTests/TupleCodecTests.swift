import Testing
import TributaryCodec

@Test func pairsAndTriplesRoundTrip() {
  var rng = SplitMix64(seed: 31)
  for _ in 0..<propertyCount {
    let pair = Pair(Int32(truncatingIfNeeded: rng.next()), randomString(using: &rng))
    expectRoundTrip(pair)
    let triple = Triple(
      rng.next() % 2 == 0, Pair(UInt8(truncatingIfNeeded: rng.next()), Double(rng.next() % 100)),
      [Int16(truncatingIfNeeded: rng.next())])
    expectRoundTrip(triple)
    let keyed: [Pair<Int64, String>: Pair<Bool?, [UInt8]>] = [
      Pair(Int64(bitPattern: rng.next()), "k"): Pair(nil, [1, 2]),
      Pair(-1, randomString(using: &rng)): Pair(true, []),
    ]
    expectRoundTrip(keyed)
  }
}

@Test func pairIsAUsableKey() {
  let a = Pair(1, "a")
  let b = Pair(1, "a")
  #expect(a == b)
  #expect(a.hashValue == b.hashValue)
  #expect(Set([a, b, Pair(2, "a")]).count == 2)
  #expect(Pair(1, 2) < Pair(1, 3))
  #expect(Triple(1, 2, 3).tuple == (1, 2, 3))
}

@Test func fixedWidthPairsSortLexicographically() {
  var rng = SplitMix64(seed: 32)
  let pairs = (0..<propertyCount).map { _ in
    Pair(Int16(truncatingIfNeeded: rng.next() % 8), Int32(truncatingIfNeeded: rng.next()))
  }
  let byBytes = pairs.sorted { bytesPrecede($0.encodedBytes(), $1.encodedBytes()) }
  #expect(byBytes == pairs.sorted())
}

@Test func parameterPackHelpersMatchPair() throws {
  var writer = BinaryWriter()
  writer.write(Int64(-3), "tributary", true, [UInt8](repeating: 7, count: 3))
  #expect(
    writer.bytes
      == Pair(Int64(-3), "tributary").encodedBytes()
      + Pair(true, [UInt8](repeating: 7, count: 3))
      .encodedBytes())
  var reader = BinaryReader(writer.bytes)
  let (a, b, c, d) = try reader.read(Int64.self, String.self, Bool.self, [UInt8].self)
  #expect(a == -3 && b == "tributary" && c && d == [7, 7, 7])
  #expect(reader.isAtEnd)

  var truncated = BinaryReader(Array(writer.bytes.dropLast()))
  #expect(throws: CodecError.self) {
    _ = try truncated.read(Int64.self, String.self, Bool.self, [UInt8].self)
  }
}

@Test func writeWithALiteralStillWritesOneByte() {
  var writer = BinaryWriter()
  writer.write(1)
  writer.write(0x7F)
  #expect(writer.bytes == [1, 0x7F])
  writer.write(Int(1))
  #expect(writer.bytes.count == 10)
}
