import Synchronization
import Tributary

/// The exchange of a scaled-out job carried by NATS JetStream
/// (docs/scale-out.md): one stream `<job>-x<n>` per exchange, one subject per
/// key group, `Nats-Msg-Id` deduplication of repeated publishes.
///
/// Each ``connect()`` opens a NATS connection of its own (one per subtask),
/// so subtasks never share a connection's publish window. Thread-safe.
public struct JetStreamExchange: ExchangeTransport {
  /// The server, `nats://HOST:PORT`.
  public let url: String
  /// How long a JetStream request (publish acknowledgement, fetch) may take.
  public let requestTimeout: Duration
  /// How long publishing one batch may take in all (Kafka's `delivery.timeout.ms`): a batch
  /// whose acknowledgements do not come within `requestTimeout` (a server that falls behind
  /// on a loaded machine) is published again, in the same order, until they do or this
  /// passes. The stream drops the copies it stored already by message id, so it is at most
  /// `duplicateWindow`.
  public let deliveryTimeout: Duration
  /// How long the stream remembers message ids: longer than an instance's
  /// restart (lease period plus start-up), so that a restarted producer's
  /// repeated commit markers are dropped.
  public let duplicateWindow: Duration
  /// Where the stream keeps messages.
  public let storage: JetStreamStorage

  /// The exchange on the server at `url`; `deliveryTimeout` is cut to `duplicateWindow`.
  public init(
    url: String, requestTimeout: Duration = .seconds(5),
    deliveryTimeout: Duration = .seconds(120), duplicateWindow: Duration = .seconds(120),
    storage: JetStreamStorage = .file
  ) {
    self.url = url
    self.requestTimeout = requestTimeout
    self.deliveryTimeout = min(deliveryTimeout, duplicateWindow)
    self.duplicateWindow = duplicateWindow
    self.storage = storage
  }

  /// A new connection to the server.
  /// - Throws: `NATSError.connectionFailed` when no server answers.
  public func connect() throws -> any ExchangeConnection {
    let connection = try NATSConnection(url: url)
    do {
      return JetStreamExchangeConnection(
        connection: connection,
        jetStream: try JetStream(connection, timeout: requestTimeout), exchange: self)
    } catch {
      connection.close()
      throw error
    }
  }
}

/// One subtask's connection to the exchange's JetStream server.
final class JetStreamExchangeConnection: ExchangeConnection, @unchecked Sendable {
  private let connection: NATSConnection
  private let jetStream: JetStream
  private let exchange: JetStreamExchange
  private var prepared: Set<String> = []

  init(connection: NATSConnection, jetStream: JetStream, exchange: JetStreamExchange) {
    self.connection = connection
    self.jetStream = jetStream
    self.exchange = exchange
  }

  func prepare(_ topology: ExchangeTopology) throws {
    guard !prepared.contains(topology.stream) else { return }
    try jetStream.createStream(
      name: topology.stream, subjects: [topology.subjectFilter],
      duplicateWindow: exchange.duplicateWindow, storage: exchange.storage)
    prepared.insert(topology.stream)
  }

  /// Publishes `messages` and waits for their acknowledgements. When they time out, the
  /// server fell behind (or stopped): the batch is published again, in the same order,
  /// until it is acknowledged or `deliveryTimeout` passed since the first attempt, as a
  /// Kafka producer retries within `delivery.timeout.ms`; the copies already stored are
  /// dropped by message id. Not after a reconnect: a message lost with the old connection
  /// whose successors on its subject were stored would be stored after them, and readers
  /// rely on each subject's order (docs/scale-out.md); that failure fails the subtask.
  func publish(_ messages: [ExchangeOutgoing]) throws {
    let outgoing = messages.map {
      JetStreamOutgoingMessage(subject: $0.subject, payload: $0.payload, messageID: $0.messageID)
    }
    let reconnects = connection.reconnectCount
    let deadline = ContinuousClock.now.advanced(by: exchange.deliveryTimeout)
    while true {
      do {
        _ = try jetStream.publishAll(outgoing)
        return
      } catch {
        guard case .timeout = error, connection.reconnectCount == reconnects,
          ContinuousClock.now < deadline
        else { throw error }
      }
    }
  }

  func openSubject(stream: String, subject: String, after sequence: UInt64) throws
    -> any ExchangeSubjectReading
  {
    JetStreamExchangeSubject(
      reader: try jetStream.makeSubjectReader(stream: stream, subject: subject, after: sequence))
  }

  func close() { connection.close() }
}

/// Reads one exchange subject through a ``JetStreamSubjectReader``.
final class JetStreamExchangeSubject: ExchangeSubjectReading {
  private let reader: JetStreamSubjectReader

  init(reader: JetStreamSubjectReader) { self.reader = reader }

  func fetch(max: Int, timeout: Duration) throws -> [ExchangeIncoming] {
    try reader.fetch(max: max, timeout: timeout).map {
      ExchangeIncoming(sequence: $0.streamSequence, payload: $0.payload)
    }
  }

  func close() { reader.close() }
}
