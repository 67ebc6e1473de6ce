import Foundation
import TestServers
import TributaryNATS

/// A started server with a connection, a JetStream context and a stream "EVENTS" capturing
/// `events.*`; everything is stopped when the value goes away.
struct NATSFixture {
  static let stream = "EVENTS"

  let server: NATSServer
  let connection: NATSConnection
  let jetStream: JetStream

  init(storage: JetStreamStorage = .file, duplicateWindow: Duration = .seconds(120)) throws {
    server = try NATSServer.start()
    connection = try NATSConnection(url: server.url)
    jetStream = try JetStream(connection)
    try jetStream.createStream(
      name: Self.stream, subjects: ["events.*"], duplicateWindow: duplicateWindow,
      storage: storage)
  }

  /// Publishes `count` messages to `subject` with payloads "<subject>#<i>"; returns their
  /// acknowledged stream sequences.
  @discardableResult
  func publish(_ count: Int, to subject: String, from first: Int = 0) throws -> [UInt64] {
    try (first..<(first + count)).map { index in
      try jetStream.publish(subject: subject, payload: Self.payload(subject, index)).sequence
    }
  }

  static func payload(_ subject: String, _ index: Int) -> [UInt8] {
    Array("\(subject)#\(index)".utf8)
  }

  /// Fetches from `reader` until `count` messages came or `timeout` passed.
  static func read(
    _ count: Int, from reader: JetStreamSubjectReader, batch: Int = 1024,
    timeout: Duration = .seconds(10)
  ) throws -> [JetStreamMessage] {
    var messages: [JetStreamMessage] = []
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while messages.count < count && ContinuousClock.now < deadline {
      messages += try reader.fetch(
        max: Swift.min(batch, count - messages.count), timeout: .milliseconds(500))
    }
    return messages
  }

  /// Waits until `connection` is connected again (at most `timeout`).
  static func waitUntilConnected(_ connection: NATSConnection, timeout: Duration = .seconds(10))
    -> Bool
  {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !connection.isConnected {
      if ContinuousClock.now >= deadline { return false }
      usleep(10_000)
    }
    return true
  }
}
