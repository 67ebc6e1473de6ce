import Synchronization

@testable import Tributary

/// An exchange log in memory, for tests of the exchange's connector pieces
/// without a server: streams of (sequence, subject, payload) with message-id
/// deduplication, as JetStream keeps them. Thread-safe.
final class InMemoryExchange: ExchangeTransport {
  struct Stored {
    let sequence: UInt64
    let subject: String
    let payload: [UInt8]
  }

  private struct Log {
    var streams: [String: [Stored]] = [:]
    var ids: Set<String> = []
  }

  private let log = Mutex(Log())

  func connect() throws -> any ExchangeConnection { Connection(exchange: self) }

  /// Every message stored on `subject` of `stream`, in order.
  func messages(stream: String, subject: String) -> [Stored] {
    log.withLock { $0.streams[stream, default: []].filter { $0.subject == subject } }
  }

  fileprivate func append(_ messages: [ExchangeOutgoing], stream: (String) -> String) {
    log.withLock { log in
      for message in messages where log.ids.insert(message.messageID).inserted {
        let name = stream(message.subject)
        let sequence = UInt64(log.streams.values.reduce(0) { $0 + $1.count } + 1)
        log.streams[name, default: []].append(
          Stored(sequence: sequence, subject: message.subject, payload: message.payload))
      }
    }
  }

  private final class Connection: ExchangeConnection, @unchecked Sendable {
    let exchange: InMemoryExchange
    init(exchange: InMemoryExchange) { self.exchange = exchange }
    func prepare(_ topology: ExchangeTopology) throws {}
    func publish(_ messages: [ExchangeOutgoing]) throws {
      exchange.append(messages) { String($0[..<$0.lastIndex(of: ".")!]) }
    }
    func openSubject(stream: String, subject: String, after sequence: UInt64) throws
      -> any ExchangeSubjectReading
    {
      Reader(exchange: exchange, stream: stream, subject: subject, after: sequence)
    }
    func close() {}
  }

  private final class Reader: ExchangeSubjectReading {
    let exchange: InMemoryExchange
    let stream: String
    let subject: String
    var last: UInt64
    init(exchange: InMemoryExchange, stream: String, subject: String, after: UInt64) {
      self.exchange = exchange
      self.stream = stream
      self.subject = subject
      self.last = after
    }
    func fetch(max: Int, timeout: Duration) throws -> [ExchangeIncoming] {
      let next = exchange.messages(stream: stream, subject: subject)
        .filter { $0.sequence > last }.prefix(max)
      if let newest = next.last { last = newest.sequence }
      return next.map { ExchangeIncoming(sequence: $0.sequence, payload: $0.payload) }
    }
    func close() {}
  }
}
