import Testing
import TributaryNATS

@Suite("JetStream subject reader")
struct JetStreamReaderTests {
  @Test("reads one subject from a position and resumes after a sequence exactly")
  func resumeExactly() throws {
    let fixture = try NATSFixture()
    var sequences: [UInt64] = []
    for index in 0..<10 {
      sequences += try fixture.publish(1, to: "events.1", from: index)
      try fixture.publish(1, to: "events.2", from: index)
    }
    let reader = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.1", after: 0)
    let all = try NATSFixture.read(10, from: reader, batch: 3)
    #expect(all.map(\.streamSequence) == sequences)
    #expect(all.map(\.payload) == (0..<10).map { NATSFixture.payload("events.1", $0) })
    #expect(all.map(\.pending) == (0..<10).map { UInt64(9 - $0) })
    #expect(try reader.fetch(max: 100, timeout: .milliseconds(200)).isEmpty)

    // Live: a message published while the reader waits is returned by that fetch.
    try fixture.publish(1, to: "events.1", from: 10)
    let live = try reader.fetch(max: 100, timeout: .seconds(2))
    #expect(live.map(\.payload) == [NATSFixture.payload("events.1", 10)])
    reader.close()

    // Resume after the fourth message: exactly the fifth onwards, no gap, no duplicate.
    let resumed = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.1", after: sequences[3])
    let rest = try NATSFixture.read(7, from: resumed)
    #expect(rest.map(\.payload) == (4..<11).map { NATSFixture.payload("events.1", $0) })
    #expect(rest.first?.streamSequence == sequences[4])
    #expect(try resumed.fetch(max: 100, timeout: .milliseconds(200)).isEmpty)

    // Resuming after a sequence of another subject starts at the next message of ours.
    let between = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.1", after: sequences[3] + 1)
    #expect(try NATSFixture.read(1, from: between).first?.streamSequence == sequences[4])
  }

  @Test("an empty fetch waits at most about its timeout and returns nothing")
  func emptyFetch() throws {
    let fixture = try NATSFixture()
    let reader = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.0", after: 0)
    let start = ContinuousClock.now
    #expect(try reader.fetch(max: 1024, timeout: .milliseconds(300)).isEmpty)
    let elapsed = start.duration(to: .now)
    #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2))
    reader.close()
    #expect(throws: NATSError.self) { try reader.fetch(max: 1, timeout: .milliseconds(10)) }
  }

  @Test("plainReadAll counts every message and byte of the given subjects")
  func plainReadAll() throws {
    let fixture = try NATSFixture()
    var expectedBytes = 0
    for subject in 0..<4 {
      let name = "events.\(subject)"
      try fixture.publish(250 * (subject + 1), to: name)
      expectedBytes += (0..<(250 * (subject + 1))).map { NATSFixture.payload(name, $0).count }
        .reduce(0, +)
    }
    try fixture.publish(7, to: "events.9")
    let result = try fixture.jetStream.plainReadAll(
      stream: NATSFixture.stream, subjects: (0..<4).map { "events.\($0)" }, batch: 100)
    #expect(result.messages == 2500)
    #expect(result.bytes == expectedBytes)
    let empty = try fixture.jetStream.plainReadAll(
      stream: NATSFixture.stream, subjects: ["events.5"], batch: 100)
    #expect(empty.messages == 0 && empty.bytes == 0)
  }
}
