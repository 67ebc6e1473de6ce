import Foundation
import TestServers
import Testing
import Tributary
import TributaryNATS

/// The JetStream exchange transport against a real server.
@Suite struct JetStreamExchangeTests {
  /// A server that stops answering for longer than the request timeout (stopped with SIGSTOP,
  /// as a process starved of CPU) delays a publish instead of failing it, as a Kafka
  /// producer retries within its delivery timeout; each message is stored once, in order.
  @Test func aPublishOutlastsAServerThatFallsBehind() throws {
    let server = try NATSServer.start()
    let exchange = JetStreamExchange(url: server.url, requestTimeout: .milliseconds(400))
    let connection = try exchange.connect()
    defer { connection.close() }
    let topology = ExchangeTopology(
      job: "slow", index: 0, instances: 1, producerParallelism: 1, consumerParallelism: 1,
      maxParallelism: 2)
    try connection.prepare(topology)
    let messages = (0..<40).map {
      ExchangeOutgoing(
        subject: topology.subject(keyGroup: $0 % 2), messageID: "m\($0)", payload: [UInt8($0)])
    }
    server.signal(SIGSTOP)
    let resumed = Thread {
      usleep(1_500_000)
      server.signal(SIGCONT)
    }
    resumed.start()
    defer { server.signal(SIGCONT) }
    let start = ContinuousClock.now
    try connection.publish(messages)
    #expect(start.duration(to: .now) >= .seconds(1), "the server was stopped")

    for keyGroup in 0..<2 {
      let subject = try connection.openSubject(
        stream: topology.stream, subject: topology.subject(keyGroup: keyGroup), after: 0)
      defer { subject.close() }
      var read: [ExchangeIncoming] = []
      let deadline = ContinuousClock.now.advanced(by: .seconds(10))
      while read.count < 20 && ContinuousClock.now < deadline {
        read += try subject.fetch(max: 100, timeout: .milliseconds(100))
      }
      read += try subject.fetch(max: 100, timeout: .milliseconds(300))
      #expect(read.map(\.payload) == stride(from: keyGroup, to: 40, by: 2).map { [UInt8($0)] })
    }
  }
}
