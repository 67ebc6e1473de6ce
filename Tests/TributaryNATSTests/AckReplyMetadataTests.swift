import Testing

@testable import TributaryNATS

@Suite("JetStream ack reply metadata")
struct AckReplyMetadataTests {
  @Test("parses the v1 reply subject")
  func version1() {
    #expect(
      parse("$JS.ACK.EVENTS.consumer1.1.42.7.1700000000000000000.3")
        == AckReplyMetadata(streamSequence: 42, consumerSequence: 7, pending: 3))
  }

  @Test("parses the v2 reply subject with domain, account hash and trailing token")
  func version2() {
    #expect(
      parse("$JS.ACK._.ACCHASH.EVENTS.consumer1.2.42.7.1700000000000000000.0.XYZ")
        == AckReplyMetadata(streamSequence: 42, consumerSequence: 7, pending: 0))
    #expect(
      parse("$JS.ACK.hub.ACCHASH.EVENTS.c.1.18446744073709551615.1.1.5")
        == AckReplyMetadata(streamSequence: UInt64.max, consumerSequence: 1, pending: 5))
  }

  @Test("rejects subjects that are not JetStream acks")
  func invalid() {
    #expect(parse("_INBOX.abc.def") == nil)
    #expect(parse("$JS.ACK.EVENTS.c.1.2.3") == nil)
    #expect(parse("$JS.ACK.EVENTS.c.1.x2.3.4.5") == nil)
    #expect(parse("$JS.ACK.EVENTS.c.1..3.4.5") == nil)
    #expect(AckReplyMetadata(reply: nil) == nil)
  }

  private func parse(_ reply: String) -> AckReplyMetadata? {
    reply.withCString { AckReplyMetadata(reply: $0) }
  }
}
