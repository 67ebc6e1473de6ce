import CNATS

/// An ephemeral pull consumer of one subject without acknowledgements, pulled with requests
/// sent here to a plain subscription on an inbox of its own, whose deliveries are taken one
/// at a time.
///
/// Nothing here uses nats.c's pull subscriptions and fetch (`js_PullSubscribe`,
/// `natsSubscription_FetchRequest`): in nats.c 3.4 (Debian's) a fetch
/// that finds deliveries already waiting in the subscription, fewer than its batch, lowers
/// the batch it counts up to below what it has, and then writes every further delivery past
/// the end of the list it allocated (nats.c issue #749, fixed in 3.10). A waiting delivery is
/// exactly what the answer to a request that outlived its fetch is. Here nothing has a size
/// fixed in advance: `next` takes whatever arrives, however many and whenever.
///
/// Not thread-safe: one reader owns it.
final class SubjectConsumer {
  /// The server's name of the consumer.
  let name: String
  /// The stream it reads.
  let stream: String
  private let connection: NATSConnection
  private let subscription: OpaquePointer
  /// The subject pull requests ask to deliver to (what `subscription` listens on).
  private let inbox: String
  /// The consumer's pull-request subject.
  private let nextSubject: String
  private var removed = false

  /// Creates the consumer on the server (delivering every message of `subject` from the
  /// first, in stream order) and subscribes to its inbox. Throws `.streamNotFound` when the
  /// stream does not exist.
  init(jetStream: JetStream, stream: String, subject: String) throws(NATSError) {
    let operation = "create pull consumer on stream \(stream) for \(subject)"
    var config = jsConsumerConfig()
    try NATSStatus.check(jsConsumerConfig_Init(&config), operation: operation)
    config.AckPolicy = js_AckNone
    // Always from the subject's first message; the reader skips those up to
    // its position. nats-server 2.9 delivers a pull consumer created with a
    // start sequence at a few hundred messages per second (measured here:
    // 12 messages in 250 ms, against 1,024 per fetch from the start), which
    // would make every restored job crawl; skipping on the client costs one
    // pass over the subject's earlier messages at full speed instead.
    config.DeliverPolicy = js_DeliverAll
    config.InactiveThreshold = PullConsumer.inactiveThreshold.natsNanoseconds
    // Consumer state in server memory: no disk write per delivery. A restart loses it, which
    // the reader handles by recreating the consumer.
    config.MemoryStorage = true
    var options = jetStream.requestOptions()
    var info: UnsafeMutablePointer<jsConsumerInfo>?
    var jsError = jsErrCode(rawValue: 0)
    let status = subject.withCString { filter in
      config.FilterSubject = filter
      return js_AddConsumer(&info, jetStream.context, stream, &config, &options, &jsError)
    }
    defer { jsConsumerInfo_Destroy(info) }
    try NATSStatus.check(status, jsError: jsError, operation: operation, stream: stream)
    guard let namePointer = info?.pointee.Name else {
      throw .status(
        operation: operation, code: Int(NATS_ERR.rawValue), text: "nats.c returned no name")
    }
    let name = String(cString: namePointer)
    var inboxPointer: UnsafeMutablePointer<natsInbox>?
    var subscription: OpaquePointer?
    var subscribed = natsInbox_Create(&inboxPointer)
    let inbox = inboxPointer.map { String(cString: $0) } ?? ""
    natsInbox_Destroy(inboxPointer)
    if subscribed == NATS_OK {
      subscribed = natsConnection_SubscribeSync(&subscription, jetStream.connection.handle, inbox)
    }
    guard subscribed == NATS_OK, let subscription else {
      _ = js_DeleteConsumer(jetStream.context, stream, name, &options, nil)
      throw NATSStatus.error(
        subscribed == NATS_OK ? NATS_ERR : subscribed, operation: "subscribe to \(inbox)")
    }
    // Only answers to our own requests fill the subscription, at most a batch per request.
    natsSubscription_SetPendingLimits(subscription, -1, -1)
    self.name = name
    self.stream = stream
    self.connection = jetStream.connection
    self.subscription = subscription
    self.inbox = inbox
    self.nextSubject = "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(name)"
  }

  deinit {
    if !removed { natsSubscription_Destroy(subscription) }
  }

  /// Sends a pull request for up to `batch` messages to the consumer. The server answers at
  /// once with the messages pending, up to `batch`, and then ends the request with a status
  /// ("408 Request Timeout" when it delivered fewer than `batch`, nothing when `batch`); when
  /// none is pending it waits up to `expiry` for messages and delivers the first ones that
  /// come, or ends the request with a status at the expiry ("408", or "409" for a request
  /// the consumer refused). A server that has a request when the expiry passed may also drop
  /// it without an answer, so the caller must not wait for one forever.
  ///
  /// The expiry counts from when the server reads the request, so a request is never lost
  /// because the server reads it late (as one of a millisecond was on a loaded machine:
  /// docs/scale-out.md); it only needs the server to deliver within `expiry` of reading it.
  func request(batch: Int, expiry: Duration) -> natsStatus {
    let body =
      "{\"batch\":\(Swift.max(1, batch)),\"expires\":\(expiry.natsNanoseconds),\"no_wait\":true}"
    return natsConnection_PublishRequestString(connection.handle, nextSubject, inbox, body)
  }

  /// What `next` took off the subscription.
  enum Delivery {
    /// A message of the stream (owned by the caller, who destroys it).
    case message(OpaquePointer)
    /// A status that ends a pull request: 404 (nothing pending), 408 (expired, or delivered
    /// all that was pending), 409 (refused), or another code.
    case status(Int)
    /// Nothing arrived within the wait.
    case nothing
    /// Nobody serves the consumer's pull requests: the server lost the consumer.
    case consumerGone
  }

  /// The next delivery, waiting up to `timeout` for one (not at all for `.zero`). Throws when
  /// the connection or the subscription was closed.
  func next(timeout: Duration) throws(NATSError) -> Delivery {
    var message: OpaquePointer?
    let wait = timeout <= .zero ? 0 : timeout.natsMilliseconds
    let status = natsSubscription_NextMsg(&message, subscription, wait)
    switch status {
    case NATS_OK:
      guard let message else { return .nothing }
      if natsMsg_GetDataLength(message) == 0, let code = Self.statusCode(of: message) {
        natsMsg_Destroy(message)
        return .status(code)
      }
      return .message(message)
    case NATS_TIMEOUT:
      return .nothing
    case NATS_NO_RESPONDERS:
      return .consumerGone
    default:
      throw NATSStatus.error(status, operation: "read consumer \(name) on stream \(stream)")
    }
  }

  /// The status code of a status message (a pull request's end), `nil` for a message of the
  /// stream.
  private static func statusCode(of message: OpaquePointer) -> Int? {
    var value: UnsafePointer<CChar>?
    guard natsMsgHeader_Get(message, "Status", &value) == NATS_OK, let value else { return nil }
    let digits = String(cString: value).prefix(3)
    return Int(digits) ?? 0
  }

  /// How many deliveries (messages and statuses) wait in the subscription.
  var queued: Int {
    var messages: Int32 = 0
    var bytes: Int32 = 0
    guard natsSubscription_GetPending(subscription, &messages, &bytes) == NATS_OK else {
      return 0
    }
    return Int(Swift.max(0, messages))
  }

  /// The server's view of the consumer: `.gone` when it does not exist (any more), otherwise
  /// how many deliveries it made and how many messages are still pending. Throws
  /// `.streamNotFound` when the stream is gone, other failures as `NATSError`.
  func state(jetStream: JetStream) throws(NATSError) -> PullConsumer.ConsumerState {
    var options = jetStream.requestOptions()
    var info: UnsafeMutablePointer<jsConsumerInfo>?
    var jsError = jsErrCode(rawValue: 0)
    let status = js_GetConsumerInfo(&info, jetStream.context, stream, name, &options, &jsError)
    defer { jsConsumerInfo_Destroy(info) }
    if jsError == JSConsumerNotFoundErr || (status == NATS_NOT_FOUND && jsError.rawValue == 0) {
      return .gone
    }
    try NATSStatus.check(
      status, jsError: jsError, operation: "get consumer info on stream \(stream)",
      stream: stream)
    guard let info = info?.pointee else { return .gone }
    return .active(delivered: info.Delivered.Consumer, pending: info.NumPending)
  }

  /// Ends the subscription (later deliveries to its inbox are dropped) and, when
  /// `deleteConsumer`, deletes the consumer on the server (one API request; skip it while
  /// disconnected: the server drops the consumer after `PullConsumer.inactiveThreshold`).
  /// Idempotent.
  func remove(jetStream: JetStream, deleteConsumer: Bool) {
    guard !removed else { return }
    removed = true
    _ = natsSubscription_Unsubscribe(subscription)
    natsSubscription_Destroy(subscription)
    if deleteConsumer {
      var options = jetStream.requestOptions()
      _ = js_DeleteConsumer(jetStream.context, stream, name, &options, nil)
    }
  }
}
