import Testing
import TributaryCodec

@Test func int64RoundTrips() throws {
  for v: Int64 in [0, 1, -1, .max, .min] { #expect(try Int64.decode(v.encodedBytes()) == v) }
}

/// Round trip, width and order preservation for one integer type.
func checkInteger<I: FixedWidthInteger & BinaryCodable>(_ type: I.Type, seed: UInt64, width: Int) {
  let values = randomIntegers(I.self, seed: seed)
  for value in values {
    expectRoundTrip(value)
    #expect(value.encodedBytes().count == width)
  }
  // Byte order equals numeric order (pairs of neighbours in a shuffled list).
  var rng = SplitMix64(seed: seed ^ 0xABCD)
  let shuffled = values.shuffled(using: &rng)
  for (a, b) in zip(values, shuffled) {
    #expect(bytesPrecede(a.encodedBytes(), b.encodedBytes()) == (a < b), "\(a) vs \(b)")
  }
  // Sorting by encoded bytes sorts numerically.
  let byBytes = values.sorted { bytesPrecede($0.encodedBytes(), $1.encodedBytes()) }
  #expect(byBytes == values.sorted())
}

@Test func int8() { checkInteger(Int8.self, seed: 1, width: 1) }
@Test func int16() { checkInteger(Int16.self, seed: 2, width: 2) }
@Test func int32() { checkInteger(Int32.self, seed: 3, width: 4) }
@Test func int64() { checkInteger(Int64.self, seed: 4, width: 8) }
@Test func int() { checkInteger(Int.self, seed: 5, width: 8) }
@Test func uint8() { checkInteger(UInt8.self, seed: 6, width: 1) }
@Test func uint16() { checkInteger(UInt16.self, seed: 7, width: 2) }
@Test func uint32() { checkInteger(UInt32.self, seed: 8, width: 4) }
@Test func uint64() { checkInteger(UInt64.self, seed: 9, width: 8) }
@Test func uint() { checkInteger(UInt.self, seed: 10, width: 8) }

@Test func integerWireFormatIsPinned() {
  #expect(Int8(-1).encodedBytes() == [0x7F])
  #expect(Int16(1).encodedBytes() == [0x80, 0x01])
  #expect(Int32.min.encodedBytes() == [0, 0, 0, 0])
  #expect(Int64(-2).encodedBytes() == [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
  #expect(UInt16(0x1234).encodedBytes() == [0x12, 0x34])
  #expect(UInt32(1).encodedBytes() == [0, 0, 0, 1])
  #expect(Int(42).encodedBytes() == Int64(42).encodedBytes())
  #expect(UInt(42).encodedBytes() == UInt64(42).encodedBytes())
}
