import Foundation
import Logging
import Synchronization
import Tributary

/// The messages of one subtask and checkpoint, published when the checkpoint
/// completed, as message `i` with id `<id>:<i>`.
struct JetStreamTransaction: BinaryCodable, Sendable, Equatable {
  var id: String
  var payloads: [[UInt8]]

  func encode(to writer: inout BinaryWriter) {
    id.encode(to: &writer)
    payloads.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> JetStreamTransaction {
    JetStreamTransaction(
      id: try String.decode(from: &reader), payloads: try [[UInt8]].decode(from: &reader))
  }
}

/// What a JetStream sink subtask checkpoints: the barrier it saw last (so a
/// run resumed from this checkpoint names its end-of-input transaction as
/// the first run did) and the transactions not yet published.
struct JetStreamSinkState: BinaryCodable, Sendable, Equatable {
  var lastBarrier: Int64
  var pending: [JetStreamTransaction]

  func encode(to writer: inout BinaryWriter) {
    lastBarrier.encode(to: &writer)
    pending.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> JetStreamSinkState {
    JetStreamSinkState(
      lastBarrier: try Int64.decode(from: &reader),
      pending: try [JetStreamTransaction].decode(from: &reader))
  }
}

/// The job-side half of the exactly-once JetStream sink: publishes the
/// transactions of completed checkpoints with their message ids (a repeat is
/// dropped by the stream's duplicate window) on a connection of its own, and
/// remembers which it published so the sinks stop carrying them.
/// Thread-safe.
final class JetStreamPublisher: Sendable {
  private let url: String
  private let subject: String
  private let connection = Mutex<(NATSConnection, JetStream)?>(nil)
  private let published = Mutex<Set<String>>([])

  init(url: String, subject: String) {
    self.url = url
    self.subject = subject
  }

  var hooks: SinkTransactions {
    SinkTransactions(
      commit: { [self] bytes in try publish(try JetStreamSinkState.decode(bytes).pending) },
      supersede: { _, _ in nil })  // nothing is visible before its checkpoint completed
  }

  /// Publishes every transaction not yet published by this process.
  func publish(_ transactions: [JetStreamTransaction]) throws {
    for transaction in transactions where !isPublished(transaction.id) {
      let messages = transaction.payloads.enumerated().map { index, payload in
        JetStreamOutgoingMessage(
          subject: subject, payload: payload, messageID: "\(transaction.id):\(index)")
      }
      try connection.withLock { cached in
        if cached == nil || cached?.0.isConnected == false {
          cached?.0.close()
          let fresh = try NATSConnection(url: url)
          cached = (fresh, try JetStream(fresh))
        }
        _ = try cached!.1.publishAll(messages)
      }
      _ = published.withLock { $0.insert(transaction.id) }
    }
  }

  func isPublished(_ id: String) -> Bool { published.withLock { $0.contains(id) } }

  /// Whether `id` was published, forgetting it if so: a sink asks once per
  /// transaction, so the set stays as small as the transactions in flight.
  func takePublished(_ id: String) -> Bool { published.withLock { $0.remove(id) != nil } }
}

/// One subtask's JetStream writer (see ``JetStreamSinkMode``). Exactly once:
/// the payloads since the last barrier become that checkpoint's transaction,
/// kept in the checkpoint (a write-ahead log, so its size grows with the
/// output of one interval) until the job published it. Used by one task only.
final class JetStreamSink<T: Sendable>: StreamSink {
  typealias Input = T
  private let options: JetStreamSinkOptions
  private let publisher: JetStreamPublisher
  private let idPrefix: String
  private let format: @Sendable (T) -> [UInt8]
  private var subtask = 0
  private var logger = Logger(label: "tributary.jetstream")
  private var current: [[UInt8]] = []
  private var pending: [JetStreamTransaction] = []
  private var direct: (NATSConnection, JetStream)?
  private var finished = false
  private var finalStateTaken = false
  private var lastBarrier: Int64 = 0

  init(
    options: JetStreamSinkOptions, publisher: JetStreamPublisher, idPrefix: String,
    format: @escaping @Sendable (T) -> [UInt8]
  ) {
    self.options = options
    self.publisher = publisher
    self.idPrefix = idPrefix
    self.format = format
  }

  func open(_ context: OperatorContext) throws {
    subtask = context.subtaskIndex
    logger = context.logger
    if let restored = context.restoredState.first {
      lastBarrier = try JetStreamSinkState.decode(restored).lastBarrier
    }
    let connection = try NATSConnection(url: options.url)
    let jetStream = try JetStream(connection)
    direct = (connection, jetStream)
    guard case .exactlyOnce = options.mode else { return }
    let streams = try jetStream.streamNames().map { try jetStream.streamInfo(name: $0) }
    guard
      let stream = streams.first(where: { info in
        info.configuredSubjects.contains { subject(options.subject, matches: $0) }
      })
    else { throw JetStreamSinkError.noStream(subject: options.subject) }
    if stream.duplicateWindow < options.requiredDuplicateWindow {
      throw JetStreamSinkError.duplicateWindowTooShort(
        stream: stream.name, window: stream.duplicateWindow,
        required: options.requiredDuplicateWindow)
    }
  }

  func write(_ batch: [T]) throws {
    switch options.mode {
    case .exactlyOnce:
      for record in batch { current.append(format(record)) }
    case .atLeastOnce:
      guard let direct else { return }
      _ = try direct.1.publishAll(
        batch.map {
          JetStreamOutgoingMessage(subject: options.subject, payload: format($0), messageID: nil)
        })
    }
  }

  func snapshotState(checkpoint: Int64) throws -> [UInt8]? {
    guard case .exactlyOnce = options.mode else { return nil }
    lastBarrier = checkpoint
    seal("\(checkpoint)")
    return JetStreamSinkState(lastBarrier: lastBarrier, pending: pending).encodedBytes()
  }

  func finish() throws {
    guard case .exactlyOnce = options.mode else { return }
    // Named after the last barrier (restored ones included): a run that
    // replays the same end, resumed from the same checkpoint, repeats the ids.
    seal("end@\(lastBarrier)")
    finished = true
  }

  func finalState() throws -> [UInt8]? {
    finalStateTaken = true
    return JetStreamSinkState(lastBarrier: lastBarrier, pending: pending).encodedBytes()
  }

  /// Without checkpointing, the end of input is the only commit point.
  func close() {
    if finished && !finalStateTaken && !pending.isEmpty {
      do { try publisher.publish(pending) } catch {
        logger.error(
          "JetStream sink: publishing at the end of input failed",
          metadata: ["error": "\(error)", "subject": "\(options.subject)"])
      }
    }
    direct?.0.close()
    direct = nil
  }

  /// Turns the payloads since the last barrier into a transaction named
  /// `label`, and drops transactions the job already published.
  private func seal(_ label: String) {
    pending.removeAll { publisher.takePublished($0.id) }
    guard !current.isEmpty else { return }
    pending.append(JetStreamTransaction(id: "\(idPrefix)\(subtask):\(label)", payloads: current))
    current = []
  }
}

extension DataStream {
  /// Publishes every record (`format(record)`, the message payload) to the
  /// JetStream subject `options.subject`, with the guarantee of
  /// `options.mode` (exactly once by default: published after each completed
  /// checkpoint with deduplicating message ids; the sink checks at start that
  /// a stream captures the subject and that its duplicate window is long
  /// enough, and fails the job with ``JetStreamSinkError`` otherwise).
  ///
  /// Ordering: per subtask, in record order.
  @discardableResult
  public func writeToJetStream(
    _ options: JetStreamSinkOptions, name: String = "JetStreamSink",
    format: @escaping @Sendable (T) -> [UInt8]
  ) -> StreamSinkHandle {
    let publisher = JetStreamPublisher(url: options.url, subject: options.subject)
    let clean = { (part: String) in String(part.map { $0 == ":" ? "_" : $0 }) }
    let idPrefix = "tributary:\(clean(options.jobID)):\(clean(name)):"
    return sink(
      name: name, transactions: options.mode == .exactlyOnce ? publisher.hooks : nil
    ) { _ in
      JetStreamSink(options: options, publisher: publisher, idPrefix: idPrefix, format: format)
    }
  }
}
