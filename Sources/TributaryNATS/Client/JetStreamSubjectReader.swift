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
  private var subscription: OpaquePointer?
  /// The consumer sequence the next delivery of `subscription` must carry.
  private var nextConsumerSequence: UInt64 = 1
  private var closed = false
  /// The connection's reconnect count when the consumer was last checked on the server.
  private var reconnectsAtVerification: UInt64
  /// When the consumer was last checked on the server (or created).
  private var verifiedAt = ContinuousClock.now
  /// How often an idle reader makes sure its consumer still exists.
  private static let verificationInterval: Duration = .seconds(5)
  /// Whether `subject` names one subject (no wildcards), so messages can share its string.
  private let subjectIsLiteral: Bool

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
    self.subscription = try PullConsumer.subscribe(
      context: jetStream.context, stream: stream, subject: subject)
  }

  deinit {
    close()
  }

  /// Up to `max` (at most 65 536) of the next messages, in stream order. Returns what is
  /// available right away; when nothing is, waits up to `timeout` for messages and returns as
  /// soon as some arrived, or returns [] when none came (not an error).
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
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var remaining = timeout
    var attempts = 0
    while attempts < 3 {
      let subscription = try currentSubscription()
      var list = natsMsgList()
      // Late deliveries of an earlier request that expired on our side wait in
      // the subscription, and a fetch takes them first: ask for room for all
      // of them, so the list nats.c fills is never shorter than what it holds
      // (seen as heap corruption under load with short fetch waits).
      let batch = Swift.min(max + PullConsumer.pendingMessages(subscription), PullConsumer.maxBatch)
      let status = PullConsumer.fetch(subscription, into: &list, batch: batch, timeout: remaining)
      if status == NATS_OK {
        let delivered = Swift.min(Int(list.Count), batch)
        let messages = take(&list, capacity: batch)
        if !messages.isEmpty { return messages }
        if self.subscription != nil && delivered == 0 { return messages }
        // Every message delivered was at or before the start position (the
        // consumer reads from the subject's start), or deliveries went
        // missing: read again.
        if self.subscription == nil { attempts += 1 }
      } else if status == NATS_TIMEOUT || status == NATS_NOT_FOUND {
        attempts += 1
        // Nothing came. A consumer the server lost (restart, inactivity) also looks like
        // this: the server's JetStream API swallows requests to missing consumers.
        guard try consumerIsLost(subscription) else { return [] }
        dropSubscription()
      } else if status == NATS_NO_RESPONDERS {
        attempts += 1
        dropSubscription()
      } else {
        throw NATSStatus.error(status, operation: "fetch from \(stream) \(subject)")
      }
      remaining = ContinuousClock.now.duration(to: deadline)
      if remaining < .milliseconds(1) { return [] }
    }
    return []
  }

  /// After an empty fetch: whether the server lost our consumer or delivered messages we never
  /// received (which happens when the connection dropped). Asks the server only after a
  /// reconnect or when it was not asked for `verificationInterval`.
  private func consumerIsLost(_ subscription: OpaquePointer) throws(NATSError) -> Bool {
    let connection = jetStream.connection
    guard connection.isConnected else { return false }
    let reconnects = connection.reconnectCount
    let now = ContinuousClock.now
    guard
      reconnects != reconnectsAtVerification
        || verifiedAt.duration(to: now) >= Self.verificationInterval
    else { return false }
    let state: PullConsumer.ConsumerState
    do throws(NATSError) {
      state = try PullConsumer.state(of: subscription, stream: stream)
    } catch .streamNotFound(let name) {
      throw .streamNotFound(name)
    } catch {
      return false  // Could not ask; ask again after the next empty fetch.
    }
    let reconnected = reconnects != reconnectsAtVerification
    reconnectsAtVerification = reconnects
    verifiedAt = now
    return PullConsumer.mustRecreate(
      state, nextConsumerSequence: nextConsumerSequence,
      queued: PullConsumer.pendingMessages(subscription), reconnected: reconnected)
  }

  /// Ends the reader and deletes its consumer on the server (when connected). Idempotent;
  /// later `fetch` calls throw.
  public func close() {
    closed = true
    dropSubscription()
  }

  /// The subscription to pull from, recreating the consumer after `lastSequence` if needed.
  private func currentSubscription() throws(NATSError) -> OpaquePointer {
    if let subscription { return subscription }
    let created = try PullConsumer.subscribe(
      context: jetStream.context, stream: stream, subject: subject)
    subscription = created
    nextConsumerSequence = 1
    reconnectsAtVerification = jetStream.connection.reconnectCount
    verifiedAt = ContinuousClock.now
    return created
  }

  /// Removes the current consumer (if any); the next fetch creates a new one.
  private func dropSubscription() {
    guard let subscription else { return }
    self.subscription = nil
    PullConsumer.remove(subscription, deleteConsumer: jetStream.connection.isConnected)
  }

  /// Copies the messages of `list` out and destroys it. Stops at the first delivery whose
  /// consumer sequence is not the expected one (deliveries were lost) and drops the consumer,
  /// so the next read restarts right after the last message taken.
  private func take(_ list: inout natsMsgList, capacity: Int) -> [JetStreamMessage] {
    defer { natsMsgList_Destroy(&list) }
    let count = Swift.min(Int(list.Count), capacity)
    // nats.c may fill the list beyond the batch (see `fetch`); those messages are destroyed
    // with it, so the next read must start again right after the last one taken.
    defer { if Int(list.Count) > capacity { dropSubscription() } }
    guard count > 0, let entries = list.Msgs else { return [] }
    var messages: [JetStreamMessage] = []
    messages.reserveCapacity(count)
    for index in 0..<count {
      guard let message = entries[index] else { continue }
      guard let metadata = AckReplyMetadata(reply: natsMsg_GetReply(message)),
        metadata.consumerSequence == nextConsumerSequence
      else {
        dropSubscription()
        break
      }
      nextConsumerSequence += 1
      guard metadata.streamSequence > lastSequence else { continue }
      let length = Int(natsMsg_GetDataLength(message))
      let payload: [UInt8]
      if length > 0, let data = natsMsg_GetData(message) {
        payload = [UInt8](
          UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: length))
      } else {
        payload = []
      }
      let messageSubject =
        subjectIsLiteral ? subject : natsMsg_GetSubject(message).map { String(cString: $0) } ?? ""
      messages.append(
        JetStreamMessage(
          subject: messageSubject, streamSequence: metadata.streamSequence,
          pending: metadata.pending, payload: payload))
      lastSequence = metadata.streamSequence
    }
    return messages
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
