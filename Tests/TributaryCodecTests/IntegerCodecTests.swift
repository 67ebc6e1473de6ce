import Testing
import TributaryCodec

@Test func int64RoundTrips() throws {
  for v: Int64 in [0, 1, -1, .max, .min] { #expect(try Int64.decode(v.encodedBytes()) == v) }
}
