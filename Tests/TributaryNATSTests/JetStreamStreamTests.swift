import Testing
import TributaryNATS

@Suite("JetStream streams")
struct JetStreamStreamTests {
  @Test("subjects(ofStream:) finds every subject holding messages with its count")
  func subjectsWithCounts() throws {
    let fixture = try NATSFixture()
    for index in 0..<4 {
      try fixture.publish(index + 1, to: "events.\(index)")
    }
    let subjects = try fixture.jetStream.subjects(ofStream: NATSFixture.stream)
    #expect(subjects == ["events.0": 1, "events.1": 2, "events.2": 3, "events.3": 4])
    #expect(subjects.keys.sorted() == ["events.0", "events.1", "events.2", "events.3"])
  }

  @Test("streamInfo round-trips the configuration and reports the state")
  func streamInfoRoundTrip() throws {
    let fixture = try NATSFixture(storage: .memory, duplicateWindow: .seconds(30))
    try fixture.publish(3, to: "events.7")
    let info = try fixture.jetStream.streamInfo(name: NATSFixture.stream)
    #expect(info.name == NATSFixture.stream)
    #expect(info.configuredSubjects == ["events.*"])
    #expect(info.duplicateWindow == .seconds(30))
    #expect(info.messages == 3)
    #expect(info.firstSequence == 1)
    #expect(info.lastSequence == 3)

    try fixture.jetStream.createStream(
      name: "MILLIS", subjects: ["millis.>"], duplicateWindow: .milliseconds(1500))
    #expect(try fixture.jetStream.streamInfo(name: "MILLIS").duplicateWindow == .milliseconds(1500))
  }

  @Test("a missing stream is reported as streamNotFound; deleteStream removes a stream")
  func missingAndDeletedStreams() throws {
    let fixture = try NATSFixture()
    #expect(throws: NATSError.streamNotFound("NOPE")) {
      try fixture.jetStream.streamInfo(name: "NOPE")
    }
    #expect(throws: NATSError.streamNotFound("NOPE")) {
      try fixture.jetStream.lastSequence(stream: "NOPE", subject: "events.0")
    }
    #expect(throws: NATSError.streamNotFound("NOPE")) {
      try fixture.jetStream.makeSubjectReader(stream: "NOPE", subject: "x", after: 0)
    }
    try fixture.jetStream.deleteStream(name: NATSFixture.stream)
    #expect(throws: NATSError.streamNotFound(NATSFixture.stream)) {
      try fixture.jetStream.deleteStream(name: NATSFixture.stream)
    }
  }

  @Test("lastSequence is the newest message's sequence on the subject, nil when empty")
  func lastSequence() throws {
    let fixture = try NATSFixture()
    #expect(
      try fixture.jetStream.lastSequence(stream: NATSFixture.stream, subject: "events.1") == nil)
    try fixture.publish(2, to: "events.1")
    let lastOnTwo = try fixture.publish(3, to: "events.2").last
    try fixture.publish(1, to: "events.3")
    #expect(
      try fixture.jetStream.lastSequence(stream: NATSFixture.stream, subject: "events.1") == 2)
    #expect(
      try fixture.jetStream.lastSequence(stream: NATSFixture.stream, subject: "events.2")
        == lastOnTwo)
    #expect(
      try fixture.jetStream.lastSequence(stream: NATSFixture.stream, subject: "events.0") == nil)
  }
}
