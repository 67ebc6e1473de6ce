import CNATS
import Synchronization

/// The JetStream context `JetStream.publishAll(_:)` publishes through: asynchronous
/// publishing with a bounded number of messages in flight and an acknowledgement callback
/// that counts into `collector`. One batch at a time (`batchLock`).
final class AsyncPublisher: @unchecked Sendable {
  /// Most unacknowledged messages in flight; a publish beyond it waits for acknowledgements.
  /// (4 096 to 65 536 publish equally fast against a local server; nats.c and the server's
  /// storage are the limit.)
  static let maxPending: Int64 = 8_192
  /// Most unacknowledged payload bytes in flight (nats.c keeps a copy of each message until
  /// its acknowledgement); beyond it, publishing waits until everything sent is acknowledged.
  static let maxPendingBytes = 64 << 20
  /// How long one nats.c publish call waits for room below `maxPending` before returning
  /// (we then retry until `timeout` passes without any acknowledgement).
  static let stallWait: Int64 = 100

  /// Kept so the connection outlives the context.
  private let connection: NATSConnection
  private let context: OpaquePointer
  private let collector = AckCollector()
  private let batchLock = Mutex<Void>(())

  /// Creates the context on `connection`.
  init(connection: NATSConnection, timeout: Duration) throws(NATSError) {
    var options = jsOptions()
    try NATSStatus.check(jsOptions_Init(&options), operation: "initialise JetStream options")
    options.Wait = timeout.natsMilliseconds
    options.PublishAsync.MaxPending = Self.maxPending
    options.PublishAsync.StallWait = Self.stallWait
    options.PublishAsync.AckHandler = asyncAckHandler
    options.PublishAsync.AckHandlerClosure = Unmanaged.passUnretained(collector).toOpaque()
    var context: OpaquePointer?
    try NATSStatus.check(
      natsConnection_JetStream(&context, connection.handle, &options),
      operation: "create JetStream publishing context")
    guard let context else {
      throw .status(
        operation: "create JetStream publishing context", code: Int(NATS_ERR.rawValue),
        text: "nats.c returned no context")
    }
    self.connection = connection
    self.context = context
  }

  deinit {
    // No callback can be running: every batch waited for, or took back, its messages.
    jsCtx_Destroy(context)
  }

  /// Publishes `messages` and waits for all acknowledgements; see `JetStream.publishAll(_:)`.
  func publishAll(
    _ messages: [JetStreamOutgoingMessage], timeout: Duration
  ) throws(NATSError) -> JetStreamPublishSummary {
    try batchLock.withLock { _ throws(NATSError) -> JetStreamPublishSummary in
      collector.reset()
      var sendFailure: NATSError?
      do throws(NATSError) {
        try send(messages, timeout: timeout)
      } catch {
        sendFailure = error
      }
      let settleFailure = settle(timeout: timeout)
      if let failure = collector.firstFailure.withLock({ $0 }) { throw failure }
      if let sendFailure { throw sendFailure }
      if let settleFailure { throw settleFailure }
      return JetStreamPublishSummary(
        published: collector.acknowledged.load(ordering: .relaxed),
        duplicates: collector.duplicates.load(ordering: .relaxed))
    }
  }

  /// Hands every message to nats.c, stopping early once a negative acknowledgement arrived.
  private func send(_ messages: [JetStreamOutgoingMessage], timeout: Duration) throws(NATSError) {
    var sentBytes = 0
    for (index, message) in messages.enumerated() {
      if index & 4095 == 0 && collector.failures.load(ordering: .relaxed) > 0 { return }
      try send(message, timeout: timeout)
      sentBytes += message.payload.count
      if sentBytes - collector.acknowledgedBytes.load(ordering: .relaxed) > Self.maxPendingBytes {
        if let error = settle(timeout: timeout) { throw error }
      }
    }
  }

  /// Publishes one message, retrying while nats.c reports the in-flight limit as full and
  /// acknowledgements keep arriving; throws `.timeout` after `timeout` without any.
  private func send(_ message: JetStreamOutgoingMessage, timeout: Duration) throws(NATSError) {
    var stalledSince: ContinuousClock.Instant?
    var answeredAtStall = 0
    while true {
      let status = publishAsync(message)
      if status == NATS_OK { return }
      guard status == NATS_TIMEOUT else {
        throw NATSStatus.error(status, operation: "publish to \(message.subject)")
      }
      let answered = collector.answered
      let now = ContinuousClock.now
      if let since = stalledSince, answered == answeredAtStall {
        if since.duration(to: now) >= timeout {
          throw .timeout(
            operation: "publishAll: no acknowledgement within \(timeout) "
              + "with \(Self.maxPending) messages in flight")
        }
      } else {
        stalledSince = now
        answeredAtStall = answered
      }
    }
  }

  /// One `js_PublishAsync` call for `message` (with a `Nats-Msg-Id` header when it has an ID).
  private func publishAsync(_ message: JetStreamOutgoingMessage) -> natsStatus {
    message.subject.withCString { subject in
      message.payload.withUnsafeBytes { payload in
        guard payload.count <= Int(Int32.max) else { return NATS_INVALID_ARG }
        let count = Int32(payload.count)
        guard let messageID = message.messageID else {
          return js_PublishAsync(context, subject, payload.baseAddress, count, nil)
        }
        return messageID.withCString { id in
          var options = jsPubOptions()
          jsPubOptions_Init(&options)
          options.MsgId = id
          return js_PublishAsync(context, subject, payload.baseAddress, count, &options)
        }
      }
    }
  }

  /// Waits up to `timeout` for the outstanding acknowledgements. If they do not all come, takes
  /// the unacknowledged messages back from nats.c (so no late acknowledgement reaches a later
  /// batch's counts) and returns the timeout error.
  private func settle(timeout: Duration) -> NATSError? {
    var options = jsPubOptions()
    jsPubOptions_Init(&options)
    options.MaxWait = timeout.natsMilliseconds
    let status = js_PublishAsyncComplete(context, &options)
    if status == NATS_OK { return nil }
    let error = NATSStatus.error(status, operation: "publishAll: wait for acknowledgements")
    var pending = natsMsgList()
    var unanswered = 0
    if js_PublishAsyncGetPendingList(&pending, context) == NATS_OK {
      unanswered = Int(pending.Count)
      natsMsgList_Destroy(&pending)
    }
    // Callbacks already running still count as pending; wait for them to return.
    options.MaxWait = 1000
    _ = js_PublishAsyncComplete(context, &options)
    if status == NATS_TIMEOUT {
      return .timeout(
        operation: "publishAll: waiting for \(unanswered) acknowledgements after \(timeout)")
    }
    return error
  }
}
