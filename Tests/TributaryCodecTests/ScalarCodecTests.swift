import Testing
import TributaryCodec

@Test func doubleRoundTripsBitExactlyAndPreservesOrder() {
  var rng = SplitMix64(seed: 11)
  var values: [Double] = [
    0, -0.0, 1, -1, .infinity, -.infinity, .nan, -.nan, .signalingNaN, .leastNonzeroMagnitude,
    -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .pi,
  ]
  while values.count < propertyCount {
    values.append(
      rng.next() % 2 == 0
        ? Double(bitPattern: rng.next()) : Double.random(in: -1e6...1e6, using: &rng))
  }
  for value in values {
    expectRoundTrip(value) { $0.bitPattern == $1.bitPattern }
    #expect(value.encodedBytes().count == 8)
  }
  let ordered = values.filter { !$0.isNaN }
  for (a, b) in zip(ordered, ordered.reversed()) {
    let expected = a < b || (a == 0 && b == 0 && a.sign == .minus && b.sign == .plus)
    #expect(bytesPrecede(a.encodedBytes(), b.encodedBytes()) == expected, "\(a) vs \(b)")
  }
}

@Test func floatRoundTripsBitExactlyAndPreservesOrder() {
  var rng = SplitMix64(seed: 12)
  var values: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, .signalingNaN, .ulpOfOne]
  while values.count < propertyCount {
    values.append(
      rng.next() % 2 == 0
        ? Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
        : Float.random(in: -1e6...1e6, using: &rng))
  }
  for value in values {
    expectRoundTrip(value) { $0.bitPattern == $1.bitPattern }
    #expect(value.encodedBytes().count == 4)
  }
  let ordered = values.filter { !$0.isNaN }
  for (a, b) in zip(ordered, ordered.reversed()) {
    let expected = a < b || (a == 0 && b == 0 && a.sign == .minus && b.sign == .plus)
    #expect(bytesPrecede(a.encodedBytes(), b.encodedBytes()) == expected, "\(a) vs \(b)")
  }
}

@Test func boolIsOneByteAndRejectsOtherBytes() {
  expectRoundTrip(true)
  expectRoundTrip(false)
  #expect(false.encodedBytes() == [0])
  #expect(true.encodedBytes() == [1])
  for byte: UInt8 in [2, 0x7F, 0xFF] {
    let error = codecError { _ = try Bool.decode([byte]) }
    #expect(error == .invalid(type: "Bool", reason: "byte \(byte), expected 0 or 1"))
  }
}

@Test func stringRoundTrips() {
  var rng = SplitMix64(seed: 13)
  expectRoundTrip("")
  expectRoundTrip(String(repeating: "long ", count: 100))
  for _ in 0..<propertyCount { expectRoundTrip(randomString(using: &rng)) }
}

@Test func invalidUTF8IsRejected() {
  let error = codecError { _ = try String.decode([2, 0xC3, 0x28]) }
  #expect(error == .invalid(type: "String", reason: "not valid UTF-8"))
  #expect(codecError { _ = try String.decode([1, 0xFF]) } != nil)
}

@Test func trailingBytesAreReported() {
  let error = codecError { _ = try Int64.decode(Int64(7).encodedBytes() + [0, 0]) }
  #expect(error == .trailingBytes(type: "Int64", count: 2))
  #expect(
    codecError { _ = try [Int32].decode([Int32(1)].encodedBytes() + [9]) }
      == .trailingBytes(type: "Array<Int32>", count: 1))
}

@Test func overlongVarintIsRejected() {
  let eleven = [UInt8](repeating: 0x80, count: 10) + [0]
  #expect(codecError { _ = try String.decode(eleven) } != nil)
}
