import Foundation
import TestServers
import Testing

@testable import TributaryNATS

/// What stalled exchange readers on a loaded machine: pull requests that
/// expired before a starved server delivered, and recreating a pull consumer
/// after an empty fetch (`PullConsumer.mustRecreate`) that was fine: a
/// recreated consumer delivers the subject from its first message again,
/// which the reader skips up to its position, so a reader that is behind
/// falls further behind.
@Suite struct ExchangeSubjectReaderStallTests {
  /// One case of `PullConsumer.mustRecreate`: the server's state of the consumer, what the
  /// reader stands at, and whether it must recreate the consumer.
  struct RecreateCase: Sendable, CustomTestStringConvertible {
    let state: PullConsumer.ConsumerState
    let nextConsumerSequence: UInt64
    let queued: Int
    let reconnected: Bool
    let mustRecreate: Bool
    let testDescription: String
  }

  /// Deliveries the server counts but the reader has not taken are queued in the
  /// subscription or on their way (a wait that ended before the answer came): without a
  /// reconnect the consumer is kept. A consumer the server lost, or deliveries made on a
  /// connection that dropped, make the reader recreate it after its position.
  @Test(arguments: [
    RecreateCase(
      state: .active(delivered: 300, pending: 50), nextConsumerSequence: 45, queued: 0,
      reconnected: false, mustRecreate: false,
      testDescription: "deliveries not taken yet, no reconnect"),
    RecreateCase(
      state: .active(delivered: 300, pending: 50), nextConsumerSequence: 45, queued: 256,
      reconnected: true, mustRecreate: false,
      testDescription: "after a reconnect, all of them wait in the subscription"),
    RecreateCase(
      state: .gone, nextConsumerSequence: 45, queued: 0, reconnected: false,
      mustRecreate: true, testDescription: "the server lost the consumer"),
    RecreateCase(
      state: .active(delivered: 300, pending: 0), nextConsumerSequence: 45, queued: 10,
      reconnected: true, mustRecreate: true,
      testDescription: "deliveries lost with the old connection"),
    RecreateCase(
      state: .active(delivered: 44, pending: 0), nextConsumerSequence: 45, queued: 0,
      reconnected: true, mustRecreate: false,
      testDescription: "after a reconnect, everything delivered was taken"),
  ])
  func aConsumerIsRecreatedOnlyWhenDeliveriesAreLost(_ c: RecreateCase) {
    #expect(
      PullConsumer.mustRecreate(
        c.state, nextConsumerSequence: c.nextConsumerSequence, queued: c.queued,
        reconnected: c.reconnected) == c.mustRecreate)
  }

  /// A server that gets little CPU (stopped for 2 ms, then let run for a moment, over and
  /// over) still delivers everything to a reader that polls with 1 ms waits, as the
  /// exchange source does, while messages are published one by one: the reader's pull
  /// request waits on the server for a second, and what the server sends after a fetch
  /// returned is taken by a later fetch, each message once and in order. (The stall of the
  /// old 1 ms requests does not show here: it needed a server whose goroutines waited
  /// milliseconds for a core, under a load this test does not make.)
  @Test func aReaderPollingBrieflyReadsAStarvedServer() throws {
    let fixture = try NATSFixture(storage: .memory)
    let reader = try fixture.jetStream.makeSubjectReader(
      stream: NATSFixture.stream, subject: "events.1", after: 0)
    let starver = Starver(fixture.server, stopped: 2_000, running: 20)
    defer { starver.end() }
    // Published one by one while the reader polls, so the subject holds fewer messages
    // than a fetch's batch, as the exchange's subjects do.
    let publisher = try JetStream(fixture.connection, timeout: .seconds(20))
    let count = 300
    let published = Thread {
      for index in 0..<count {
        _ = try? publisher.publish(
          subject: "events.1", payload: NATSFixture.payload("events.1", index))
      }
    }
    published.start()
    var read: [JetStreamMessage] = []
    let start = ContinuousClock.now
    while read.count < count && start.duration(to: .now) < .seconds(30) {
      read += try reader.fetch(max: 256, timeout: .milliseconds(1))
    }
    starver.end()
    read += try reader.fetch(max: 256, timeout: .milliseconds(200))
    #expect(read.map(\.payload) == (0..<count).map { NATSFixture.payload("events.1", $0) })
    #expect(start.duration(to: .now) < .seconds(20))
  }
}

/// Stops a server again and again (SIGSTOP for `stopped` microseconds, then SIGCONT for
/// `running` microseconds) on a thread of its own until `end()`, which leaves it running.
final class Starver: @unchecked Sendable {
  private let lock = NSLock()
  private var running = true
  private let done = DispatchSemaphore(value: 0)
  private let server: NATSServer

  init(_ server: NATSServer, stopped: UInt32, running runningTime: UInt32) {
    self.server = server
    Thread.detachNewThread { [self] in
      while lock.withLock({ self.running }) {
        server.signal(SIGSTOP)
        usleep(stopped)
        server.signal(SIGCONT)
        usleep(runningTime)
      }
      done.signal()
    }
  }

  /// Stops starving the server and waits until it runs. Idempotent.
  func end() {
    let wasRunning = lock.withLock {
      defer { running = false }
      return running
    }
    if wasRunning { done.wait() }
    server.signal(SIGCONT)
  }
}
