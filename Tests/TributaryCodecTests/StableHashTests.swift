import Testing
import TributaryCodec

/// Key groups depend on these exact values: if this test fails, StableHash or a
/// key encoding changed and existing state would land in the wrong key groups.
@Test func stableHashValuesArePinned() {
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (published test vector).
  #expect(StableHash.hash("a".utf8) == StableHash.finalize(0xaf63_dc4c_8601_ec8c))
  #expect(StableHash.finalize(0) == 0)
  #expect(StableHash.hash([UInt8]()) == 0xefd0_1f60_ba99_2926)
  #expect(StableHash.hash("a".utf8) == 0x82a2_a958_a9be_ce5b)
  #expect(StableHash.hash(Int64(42).encodedBytes()) == 0xf054_7c2d_f4b0_f189)
  #expect(StableHash.hash("user-17".encodedBytes()) == 0x62a9_d95b_8735_4977)
  #expect(StableHash.hash(Pair(Int64(-1), "k").encodedBytes()) == 0x18c8_d018_d09f_9539)
}

@Test func hashOfValueReusesTheWriter() {
  var writer = BinaryWriter(capacity: 64)
  var rng = SplitMix64(seed: 51)
  _ = StableHash.hash(of: "warm-up", using: &writer)
  let base = writer.bytes.withUnsafeBufferPointer { $0.baseAddress }
  for _ in 0..<propertyCount {
    let key = Pair(Int64(bitPattern: rng.next()), randomString(using: &rng))
    #expect(StableHash.hash(of: key, using: &writer) == StableHash.hash(key.encodedBytes()))
    #expect(writer.bytes.withUnsafeBufferPointer { $0.baseAddress } == base)
  }
  #expect(StableHash.hash(of: Int64(42), using: &writer) == 0xf054_7c2d_f4b0_f189)
}
