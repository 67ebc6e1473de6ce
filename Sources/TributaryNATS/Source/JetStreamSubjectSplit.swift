import CoreMetrics
import Logging
import Tributary

/// One subject of a JetStream stream, read as a split: messages in stream
/// order after the checkpointed stream sequence; decoded records go to the
/// subtask, undecodable ones to the dead letters. Used by one task only.
///
/// Connection loss: a failed fetch drops the consumer; the next reads
/// re-create it after the last sequence emitted (with back-off), so nothing is
/// skipped or read twice. After `connectionLossTimeout` without success the
/// read throws ``JetStreamSourceError/serverUnreachable(url:for:lastError:)``.
final class JetStreamSubjectSplit<Record: Sendable>: SourceSplit {
  let subject: String
  private let connection: NATSConnection
  private let jetStream: JetStream
  private let options: JetStreamSourceOptions
  private let decode: @Sendable (JetStreamMessage) throws -> Record
  private let deadLetters: (JetStreamDeadLetter) -> Void
  private let clock: ContinuousClock = ContinuousClock()
  private var reader: JetStreamSubjectReader?
  /// The stream sequence of the last message read (0: none).
  private(set) var sequence: UInt64
  /// Bounded: the last sequence to read (`nil`: unbounded).
  private let bound: UInt64?
  private var failingSince: ContinuousClock.Instant?
  private var retryAt: ContinuousClock.Instant?
  private var backoff: Duration = .milliseconds(50)
  /// `tributary_jetstream_lag_messages` of this split: messages after the last one read.
  private let lag: Gauge?
  private let logger: Logger?

  init(
    subject: String, connection: NATSConnection, jetStream: JetStream,
    options: JetStreamSourceOptions, after sequence: UInt64,
    bound: UInt64?, decode: @escaping @Sendable (JetStreamMessage) throws -> Record,
    deadLetters: @escaping (JetStreamDeadLetter) -> Void,
    lag: Gauge? = nil, logger: Logger? = nil
  ) {
    self.lag = lag
    self.logger = logger
    self.subject = subject
    self.connection = connection
    self.jetStream = jetStream
    self.options = options
    self.sequence = sequence
    self.bound = bound
    self.decode = decode
    self.deadLetters = deadLetters
  }

  func read(into buffer: inout [Record], limit: Int) throws -> SourceStatus {
    if let bound, sequence >= bound { return .finished }
    if let retryAt, clock.now < retryAt { return .more }
    // nats.c reconnects by itself; while it is away a fetch just finds
    // nothing, so the connection's state is what counts toward the timeout.
    guard connection.isConnected else {
      return try retryLater(after: "the connection to the server is down")
    }
    do {
      if reader == nil {
        reader = try jetStream.makeSubjectReader(
          stream: options.stream, subject: subject, after: sequence)
      }
      var want = min(limit, options.fetchBatch)
      if let bound { want = Int(min(UInt64(want), bound - sequence)) }
      let messages = try reader!.fetch(max: max(1, want), timeout: options.fetchWait)
      if failingSince != nil {
        logger?.info("JetStream source reads again", metadata: ["split": "\(subject)"])
      }
      failingSince = nil
      retryAt = nil
      if let last = messages.last { lag?.record(Int64(clamping: last.pending)) }
      backoff = .milliseconds(50)
      for message in messages {
        if let bound, message.streamSequence > bound { break }
        sequence = message.streamSequence
        do {
          buffer.append(try decode(message))
        } catch {
          deadLetters(
            JetStreamDeadLetter(
              subject: message.subject, streamSequence: message.streamSequence,
              reason: "\(error)", payload: message.payload))
        }
      }
    } catch {
      return try retryLater(after: "\(error)")
    }
    if let bound, sequence >= bound { return .finished }
    return .more
  }

  /// Drops the consumer and schedules the next attempt with back-off; fails
  /// once the server has been unusable for the connection-loss timeout.
  private func retryLater(after failure: String) throws -> SourceStatus {
    reader?.close()
    reader = nil
    let now = clock.now
    let since = failingSince ?? now
    if failingSince == nil {
      logger?.warning(
        "JetStream source cannot read; retrying with back-off",
        metadata: [
          "split": "\(subject)", "error": "\(failure)",
          "gives_up_after": "\(options.connectionLossTimeout)",
        ])
    }
    failingSince = since
    if now - since >= options.connectionLossTimeout {
      throw JetStreamSourceError.serverUnreachable(
        url: options.url, for: options.connectionLossTimeout, lastError: failure)
    }
    retryAt = now + backoff
    backoff = min(backoff * 2, .seconds(2))
    return .more
  }

  var position: [UInt8] { Int64(bitPattern: sequence).encodedBytes() }

  func close() {
    reader?.close()
    reader = nil
    connection.close()
  }
}
