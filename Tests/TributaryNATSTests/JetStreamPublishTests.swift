import Testing
import TributaryNATS

@Suite("JetStream publishing")
struct JetStreamPublishTests {
  @Test("the same message ID twice: second ack is a duplicate, the stream holds one message")
  func duplicateMessageID() throws {
    let fixture = try NATSFixture()
    let first = try fixture.jetStream.publish(
      subject: "events.0", payload: [1, 2, 3], messageID: "order-42")
    let second = try fixture.jetStream.publish(
      subject: "events.0", payload: [1, 2, 3], messageID: "order-42")
    #expect(first == JetStreamPublishAck(stream: NATSFixture.stream, sequence: 1, duplicate: false))
    #expect(second.duplicate)
    #expect(second.sequence == 1)
    #expect(try fixture.jetStream.streamInfo(name: NATSFixture.stream).messages == 1)

    let again = try fixture.jetStream.publishAll([
      JetStreamOutgoingMessage(subject: "events.0", payload: [1], messageID: "order-42"),
      JetStreamOutgoingMessage(subject: "events.0", payload: [2], messageID: "order-43"),
      JetStreamOutgoingMessage(subject: "events.0", payload: [3], messageID: "order-43"),
    ])
    #expect(again == JetStreamPublishSummary(published: 3, duplicates: 2))
    #expect(try fixture.jetStream.streamInfo(name: NATSFixture.stream).messages == 2)
  }

  @Test("publishAll of 100 000 messages; reading them back returns all in order")
  func publishAllAndReadBack() throws {
    let fixture = try NATSFixture()
    let count = 100_000
    let messages = (0..<count).map { index in
      JetStreamOutgoingMessage(subject: "events.\(index % 2)", payload: littleEndianBytes(index))
    }
    let summary = try fixture.jetStream.publishAll(messages)
    #expect(summary == JetStreamPublishSummary(published: count, duplicates: 0))
    #expect(try fixture.jetStream.streamInfo(name: NATSFixture.stream).messages == UInt64(count))

    for subject in 0..<2 {
      let reader = try fixture.jetStream.makeSubjectReader(
        stream: NATSFixture.stream, subject: "events.\(subject)", after: 0)
      let read = try NATSFixture.read(count / 2, from: reader)
      #expect(read.count == count / 2)
      let indices = read.map { message in
        message.payload.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
      }
      #expect(indices == Array(stride(from: subject, to: count, by: 2)))
      #expect(zip(read, read.dropFirst()).allSatisfy { $0.streamSequence < $1.streamSequence })
      #expect(read.allSatisfy { $0.subject == "events.\(subject)" })
      #expect(read.last?.pending == 0)
      #expect(try reader.fetch(max: 10, timeout: .milliseconds(100)).isEmpty)
    }
  }

  @Test("publishing to a subject no stream captures fails")
  func publishWithoutStream() throws {
    let fixture = try NATSFixture()
    #expect(throws: NATSError.self) {
      try fixture.jetStream.publish(subject: "nowhere", payload: [1])
    }
    #expect(throws: NATSError.self) {
      try fixture.jetStream.publishAll([
        JetStreamOutgoingMessage(subject: "events.0", payload: [0]),
        JetStreamOutgoingMessage(subject: "nowhere", payload: [1]),
      ])
    }
    // A failed batch leaves nothing behind for the next one.
    let summary = try fixture.jetStream.publishAll([
      JetStreamOutgoingMessage(subject: "events.0", payload: [2])
    ])
    #expect(summary == JetStreamPublishSummary(published: 1, duplicates: 0))
    #expect(try fixture.jetStream.streamInfo(name: NATSFixture.stream).messages == 2)
  }

  @Test("publishAll of large payloads beyond the in-flight byte bound")
  func publishAllLargePayloads() throws {
    let fixture = try NATSFixture(storage: .memory)
    let payload = [UInt8](repeating: 7, count: 1_000_000)
    let messages = (0..<80).map {
      JetStreamOutgoingMessage(subject: "events.\($0 % 4)", payload: payload)
    }
    let summary = try fixture.jetStream.publishAll(messages)
    #expect(summary == JetStreamPublishSummary(published: 80, duplicates: 0))
    let read = try fixture.jetStream.plainReadAll(
      stream: NATSFixture.stream, subjects: (0..<4).map { "events.\($0)" }, batch: 8)
    #expect(read.messages == 80 && read.bytes == 80_000_000)
  }

  private func littleEndianBytes(_ value: Int) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }
}
