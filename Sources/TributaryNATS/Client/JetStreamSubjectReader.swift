import CNATS

/// Reads the messages of one subject of a stream, in stream order, starting after a given
/// stream sequence, through an ephemeral pull consumer without acknowledgements.
///
/// Guarantees: `fetch` returns each message with a stream sequence greater than the start
/// sequence exactly once and in increasing sequence order, with no gap, also across lost
/// connections and server restarts: the reader tracks the consumer sequence of every delivery,
/// and when deliveries went missing or the consumer disappeared, it recreates the consumer
/// right after the last message it returned.
///
/// Thread-safety: use from one task or thread at a time (it is `Sendable` so that it can be
/// handed between tasks, not shared by them).
public final class JetStreamSubjectReader: @unchecked Sendable {
  /// The stream read.
  public let stream: String
  /// The subject read.
  public let subject: String
  /// The stream sequence of the last message returned (the start sequence before any).
  public private(set) var lastSequence: UInt64

  private let jetStream: JetStream
  private var consumer: SubjectConsumer?
  /// The consumer sequence the next delivery of `consumer` must carry.
  private var nextConsumerSequence: UInt64 = 1
  /// The stream sequence of the last delivery of `consumer` (0 before any): below
  /// `lastSequence` while the reader skips what it already returned.
  private var deliveredSequence: UInt64 = 0
  /// The pull request whose answer is still expected. The reader sends one at a time: the
  /// next when this one ended (its batch delivered, or a status), or when it outlived
  /// `requestPatience`.
  private var request: Request?
  private var closed = false
  /// The connection's reconnect count when the consumer was last checked on the server.
  private var reconnectsAtVerification: UInt64
  /// When the consumer was last checked on the server (or created).
  private var verifiedAt = ContinuousClock.now
  /// How often an idle reader makes sure its consumer still exists.
  private static let verificationInterval: Duration = .seconds(5)
  /// How long the server waits for messages before it ends a pull request that found none
  /// (from when it reads the request). Long enough for a loaded server, short enough that an
  /// idle reader's request comes back now and then.
  static let requestExpiry: Duration = .seconds(1)
  /// How long after sending a request the reader gives up waiting for its end and sends
  /// another: a server can drop an expired request without answering it, or lose it with
  /// the connection. A request given up that is still alive does no harm: the server deals
  /// the consumer's messages over its requests, each message once.
  static let requestPatience: Duration = .seconds(3)
  /// The smallest batch asked for while the reader skips messages it returned before (a
  /// recreated consumer delivers the subject from its first message).
  private static let skippingBatch = 1_024
  /// Whether `subject` names one subject (no wildcards), so messages can share its string.
  private let subjectIsLiteral: Bool

  /// A pull request sent and not ended yet.
  private struct Request {
    /// How many more messages it may deliver.
    var remaining: Int
    /// When it was sent.
    let sentAt: ContinuousClock.Instant
  }

  init(jetStream: JetStream, stream: String, subject: String, after sequence: UInt64)
    throws(NATSError)
  {
    self.jetStream = jetStream
    self.stream = stream
    self.subject = subject
    self.lastSequence = sequence
    self.subjectIsLiteral =
      !subject.utf8.contains(UInt8(ascii: "*"))
      && !subject.utf8.contains(UInt8(ascii: ">"))
    self.reconnectsAtVerification = jetStream.connection.reconnectCount
    _ = try currentConsumer()
  }

  deinit {
    close()
  }

  /// Up to `max` (at most 65 536) of the next messages, in stream order. Returns what is
  /// available right away; when nothing is, waits up to `timeout` for messages and returns as
  /// soon as some arrived, or returns [] when none came (not an error).
  ///
  /// A pull request's answer that comes after the call returned is kept and returned by a
  /// later call: the reader asks the server again only when its last request ended, so a
  /// short `timeout` (the exchange polls each subject for 1 ms) costs no request per call,
  /// and no request can expire before a loaded server gets to it.
  ///
  /// Throws `.streamNotFound` when the stream was deleted, another `NATSError` when the
  /// server cannot be reached to create a consumer; a later call resumes where the reader
  /// stands.
  public func fetch(max: Int, timeout: Duration) throws(NATSError) -> [JetStreamMessage] {
    guard !closed else {
      throw .status(
        operation: "fetch from \(stream) \(subject)", code: Int(NATS_ILLEGAL_STATE.rawValue),
        text: "the reader is closed")
    }
    guard max > 0 else { return [] }
    let max = Swift.min(max, PullConsumer.maxBatch)
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var messages: [JetStreamMessage] = []
    var recreations = 0
    var requestsSent = 0
    while messages.count < max {
      let consumer = try currentConsumer()
      if let request, request.sentAt.duration(to: .now) >= Self.requestPatience {
        self.request = nil
      }
      // A second request in one call only after the first ended without messages (expired,
      // or was refused); more would only spin while another request still delivers.
      if request == nil && requestsSent < 2 {
        guard try send(on: consumer, max: max) else { return messages }
        requestsSent += 1
      }
      let wait = messages.isEmpty ? ContinuousClock.now.duration(to: deadline) : .zero
      switch try consumer.next(timeout: wait) {
      case .message(let message):
        if var request {
          request.remaining -= 1
          self.request = request.remaining > 0 ? request : nil
        }
        switch take(message) {
        case .message(let taken):
          messages.append(taken)
        case .skipped:
          if messages.isEmpty && ContinuousClock.now >= deadline { return messages }
        case .gap:
          // Deliveries went missing: read again right after the last message taken.
          dropConsumer()
          recreations += 1
          if !messages.isEmpty || recreations >= 3 { return messages }
        }
      case .status:
        // The request ended; the next pass sends another if this call has time left.
        request = nil
        if !messages.isEmpty || ContinuousClock.now >= deadline { return messages }
      case .consumerGone:
        dropConsumer()
        recreations += 1
        if recreations >= 3 || ContinuousClock.now >= deadline { return messages }
      case .nothing:
        if !messages.isEmpty { return messages }
        // Nothing came. A consumer the server lost (restart, inactivity) also looks like
        // this: the server's JetStream API swallows requests to missing consumers.
        if try consumerIsLost(consumer) {
          dropConsumer()
          recreations += 1
        }
        if recreations >= 3 || ContinuousClock.now >= deadline { return messages }
      }
    }
    return messages
  }

  /// Sends a pull request on `consumer` for `max` messages (more while skipping); returns
  /// `false` when it could not be sent because the connection is down (a later fetch tries
  /// again), throws for other failures.
  private func send(on consumer: SubjectConsumer, max: Int) throws(NATSError) -> Bool {
    let batch = deliveredSequence < lastSequence ? Swift.max(max, Self.skippingBatch) : max
    let status = consumer.request(batch: batch, expiry: Self.requestExpiry)
    guard status == NATS_OK else {
      if !jetStream.connection.isConnected { return false }
      throw NATSStatus.error(status, operation: "request messages of \(stream) \(subject)")
    }
    request = Request(remaining: batch, sentAt: .now)
    return true
  }

  /// After an empty wait: whether the server lost our consumer or delivered messages we never
  /// received (which happens when the connection dropped). Asks the server only after a
  /// reconnect or when it was not asked for `verificationInterval`. After a reconnect the
  /// request in flight may be lost with the old connection: the reader sends a new one.
  private func consumerIsLost(_ consumer: SubjectConsumer) throws(NATSError) -> Bool {
    let connection = jetStream.connection
    guard connection.isConnected else { return false }
    let reconnects = connection.reconnectCount
    let reconnected = reconnects != reconnectsAtVerification
    let now = ContinuousClock.now
    if reconnected { request = nil }
    guard reconnected || verifiedAt.duration(to: now) >= Self.verificationInterval else {
      return false
    }
    let state: PullConsumer.ConsumerState
    do throws(NATSError) {
      state = try consumer.state(jetStream: jetStream)
    } catch .streamNotFound(let name) {
      throw .streamNotFound(name)
    } catch {
      return false  // Could not ask; ask again after the next empty fetch.
    }
    reconnectsAtVerification = reconnects
    verifiedAt = now
    return PullConsumer.mustRecreate(
      state, nextConsumerSequence: nextConsumerSequence, queued: consumer.queued,
      reconnected: reconnected)
  }

  /// Ends the reader and deletes its consumer on the server (when connected). Idempotent;
  /// later `fetch` calls throw.
  public func close() {
    closed = true
    dropConsumer()
  }

  /// The consumer to pull from, recreating it (reading after `lastSequence`) if needed.
  private func currentConsumer() throws(NATSError) -> SubjectConsumer {
    if let consumer { return consumer }
    let created = try SubjectConsumer(jetStream: jetStream, stream: stream, subject: subject)
    consumer = created
    nextConsumerSequence = 1
    deliveredSequence = 0
    request = nil
    reconnectsAtVerification = jetStream.connection.reconnectCount
    verifiedAt = ContinuousClock.now
    return created
  }

  /// Removes the current consumer (if any) and forgets its request; the next fetch creates
  /// a new one. Deliveries still on their way to the old one are dropped with its
  /// subscription.
  private func dropConsumer() {
    request = nil
    guard let consumer else { return }
    self.consumer = nil
    consumer.remove(jetStream: jetStream, deleteConsumer: jetStream.connection.isConnected)
  }

  /// What `take` made of one delivery.
  private enum Taken {
    /// A message after `lastSequence`, now the last one returned.
    case message(JetStreamMessage)
    /// A message at or before `lastSequence` (read before).
    case skipped
    /// Not the consumer sequence expected: deliveries were lost.
    case gap
  }

  /// Copies one delivered message out and destroys it.
  private func take(_ message: OpaquePointer) -> Taken {
    defer { natsMsg_Destroy(message) }
    guard let metadata = AckReplyMetadata(reply: natsMsg_GetReply(message)),
      metadata.consumerSequence == nextConsumerSequence
    else { return .gap }
    nextConsumerSequence += 1
    deliveredSequence = metadata.streamSequence
    guard metadata.streamSequence > lastSequence else { return .skipped }
    let length = Int(natsMsg_GetDataLength(message))
    let payload: [UInt8]
    if length > 0, let data = natsMsg_GetData(message) {
      payload = [UInt8](UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: length))
    } else {
      payload = []
    }
    let messageSubject =
      subjectIsLiteral ? subject : natsMsg_GetSubject(message).map { String(cString: $0) } ?? ""
    lastSequence = metadata.streamSequence
    return .message(
      JetStreamMessage(
        subject: messageSubject, streamSequence: metadata.streamSequence,
        pending: metadata.pending, payload: payload))
  }
}

extension JetStream {
  /// A reader of the messages of `subject` in `stream` with stream sequence greater than
  /// `sequence` (0: from the beginning); see `JetStreamSubjectReader`. Creates its consumer
  /// now: throws `.streamNotFound` when the stream does not exist.
  public func makeSubjectReader(
    stream: String, subject: String, after sequence: UInt64
  ) throws(NATSError) -> JetStreamSubjectReader {
    try JetStreamSubjectReader(jetStream: self, stream: stream, subject: subject, after: sequence)
  }
}
