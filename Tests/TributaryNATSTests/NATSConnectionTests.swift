import TestServers
import Testing
import TributaryNATS

@Suite("NATS connection")
struct NATSConnectionTests {
  @Test("connecting to a port without a server fails promptly with connectionFailed")
  func noServer() throws {
    let server = try NATSServer.start()
    let url = server.url
    server.stop()
    let start = ContinuousClock.now
    let error = #expect(throws: NATSError.self) {
      try NATSConnection(url: url, connectTimeout: .seconds(1))
    }
    #expect(start.duration(to: .now) < .seconds(3))
    guard case .connectionFailed(let failedURL, let reason) = error else {
      Issue.record("expected connectionFailed, got \(String(describing: error))")
      return
    }
    #expect(failedURL == url)
    #expect(!reason.isEmpty)
  }

  @Test("a connection survives a server restart; publishing and reading work after it")
  func survivesRestart() throws {
    let fixture = try NATSFixture()
    try fixture.connection.flush(timeout: .seconds(2))
    let before = try fixture.publish(8, to: "events.1")
    let reader = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.1", after: 0)
    #expect(
      try NATSFixture.read(5, from: reader, batch: 5).map(\.streamSequence) == Array(before[..<5]))

    try fixture.server.restart()
    #expect(NATSFixture.waitUntilConnected(fixture.connection))
    #expect(fixture.connection.isConnected)

    let after = try fixture.publish(3, to: "events.1", from: 8)
    let summary = try fixture.jetStream.publishAll(
      (11..<13).map {
        JetStreamOutgoingMessage(subject: "events.1", payload: NATSFixture.payload("events.1", $0))
      })
    #expect(summary.published == 2)
    #expect(after.first == 9)
    // The reader's consumer did not survive the restart: it continues right after message 5.
    let resumed = try NATSFixture.read(8, from: reader)
    #expect(resumed.map(\.payload) == (5..<13).map { NATSFixture.payload("events.1", $0) })
    #expect(resumed.map(\.streamSequence) == Array(6...13))
    #expect(try reader.fetch(max: 10, timeout: .milliseconds(100)).isEmpty)
    #expect(
      try fixture.jetStream.lastSequence(stream: NATSFixture.stream, subject: "events.1") == 13)
  }

  @Test("after kill -9 and restart, stored messages are still there and readable")
  func survivesKill() throws {
    let fixture = try NATSFixture()
    try fixture.publish(20, to: "events.0")
    fixture.server.kill()
    try fixture.server.restart()
    #expect(NATSFixture.waitUntilConnected(fixture.connection))
    let reader = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.0", after: 10)
    let read = try NATSFixture.read(10, from: reader)
    #expect(read.map(\.streamSequence) == Array(11...20))
    #expect(try fixture.jetStream.streamInfo(name: NATSFixture.stream).messages == 20)
  }

  @Test("close is idempotent and later calls fail")
  func closeTwice() throws {
    let server = try NATSServer.start()
    let connection = try NATSConnection(url: server.url)
    #expect(connection.isConnected)
    #expect(connection.url == server.url)
    let jetStream = try JetStream(connection)
    connection.close()
    connection.close()
    #expect(!connection.isConnected)
    #expect(throws: NATSError.self) { try connection.flush(timeout: .milliseconds(100)) }
    #expect(throws: NATSError.self) { try jetStream.streamInfo(name: "X") }
  }
}
