/// A message to publish on an exchange subject: its subject, its
/// deduplication id (`Nats-Msg-Id`) and its encoded ``ExchangeMessage``.
public struct ExchangeOutgoing: Sendable, Hashable {
  /// The subject (``ExchangeTopology/subject(keyGroup:)``).
  public let subject: String
  /// The id the log deduplicates repeated publishes by.
  public let messageID: String
  /// The encoded message.
  public let payload: [UInt8]

  /// A message for `subject`.
  public init(subject: String, messageID: String, payload: [UInt8]) {
    self.subject = subject
    self.messageID = messageID
    self.payload = payload
  }
}

/// One stored message read back from an exchange subject.
public struct ExchangeIncoming: Sendable, Hashable {
  /// Its sequence in the stream (increasing along a subject).
  public let sequence: UInt64
  /// The encoded ``ExchangeMessage``.
  public let payload: [UInt8]

  /// A message stored at `sequence`.
  public init(sequence: UInt64, payload: [UInt8]) {
    self.sequence = sequence
    self.payload = payload
  }
}

/// The log that carries a scaled-out job's exchanges between its instances
/// (docs/scale-out.md): JetStream in TributaryNATS (`JetStreamExchange`).
///
/// Thread-safe: subtasks of every stage call ``connect()`` from their own tasks.
public protocol ExchangeTransport: Sendable {
  /// A connection of its own for one subtask (or the job's committer).
  /// - Throws: when the log cannot be reached; the subtask fails and the job
  ///   restarts as its restart strategy says.
  func connect() throws -> any ExchangeConnection
}

/// One connection to the exchange's log, used by one subtask at a time.
public protocol ExchangeConnection: AnyObject, Sendable {
  /// Makes sure the stream of `topology` exists (idempotent: every instance
  /// calls it), keeping messages until deleted and deduplicating ids within a
  /// window longer than a restart.
  func prepare(_ topology: ExchangeTopology) throws
  /// Publishes `messages`, keeping their order on each subject, and returns
  /// once the log stored every one (a repeated id counts as stored).
  /// - Throws: when any was refused or not acknowledged in time; some may be
  ///   stored already (their ids make a repeat harmless).
  func publish(_ messages: [ExchangeOutgoing]) throws
  /// A reader of `subject` of `stream` from the message after `sequence`.
  func openSubject(stream: String, subject: String, after sequence: UInt64) throws
    -> any ExchangeSubjectReading
  /// Releases the connection.
  func close()
}

/// Reads one subject in stream order, each message once, no gap.
public protocol ExchangeSubjectReading: AnyObject {
  /// Up to `max` of the next messages: those available now, else waits up to
  /// `timeout` for some; `[]` when none came.
  func fetch(max: Int, timeout: Duration) throws -> [ExchangeIncoming]
  /// Releases the reader.
  func close()
}
