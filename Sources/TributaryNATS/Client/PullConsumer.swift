import CNATS

/// The pull-consumer mechanics `JetStreamSubjectReader` and `JetStream.plainReadAll` share:
/// an ephemeral consumer of one subject without acknowledgements, and pull requests on it.
enum PullConsumer {
  /// How long the server keeps an ephemeral consumer nobody pulls from. A reader that lost
  /// its consumer (this, a server restart) recreates it where it left off.
  static let inactiveThreshold: Duration = .seconds(120)
  /// The largest batch one pull request asks for.
  static let maxBatch = 65_536

  /// Creates an ephemeral pull consumer on `stream` delivering every message of `subject`
  /// from its first, in stream order, without acknowledgements, and a subscription
  /// receiving them; readers skip what they already read. The caller owns the returned
  /// subscription.
  static func subscribe(
    context: OpaquePointer, stream: String, subject: String
  ) throws(NATSError) -> OpaquePointer {
    var options = jsSubOptions()
    try NATSStatus.check(jsSubOptions_Init(&options), operation: "initialise consumer options")
    options.Config.AckPolicy = js_AckNone
    // Always from the subject's first message; the reader skips those up to
    // its position. nats-server 2.9 delivers a pull consumer created with a
    // start sequence at a few hundred messages per second (measured here:
    // 12 messages in 250 ms, against 1,024 per fetch from the start), which
    // would make every restored job crawl; skipping on the client costs one
    // pass over the subject's earlier messages at full speed instead.
    options.Config.DeliverPolicy = js_DeliverAll
    options.Config.InactiveThreshold = inactiveThreshold.natsNanoseconds
    // Consumer state in server memory: no disk write per delivery. A restart loses it, which
    // the reader handles by recreating the consumer.
    options.Config.MemoryStorage = true
    var subscription: OpaquePointer?
    var jsError = jsErrCode(rawValue: 0)
    let status = stream.withCString { streamName in
      options.Stream = streamName
      return js_PullSubscribe(&subscription, context, subject, nil, nil, &options, &jsError)
    }
    try NATSStatus.check(
      status, jsError: jsError,
      operation: "create pull consumer on stream \(stream) for \(subject)", stream: stream)
    guard let subscription else {
      throw .status(
        operation: "create pull consumer on stream \(stream) for \(subject)",
        code: Int(NATS_ERR.rawValue), text: "nats.c returned no subscription")
    }
    // Only our own pull requests fill the subscription, so its queue needs no limit.
    natsSubscription_SetPendingLimits(subscription, -1, -1)
    return subscription
  }

  /// One pull request for up to `batch` messages into `list`: returns at once with the
  /// messages available (NATS_OK), or waits up to `timeout` for the first ones to arrive and
  /// returns as soon as they did; NATS_TIMEOUT when none came.
  ///
  /// This is a "no wait" request with an expiry: nats-server (2.9) then answers as soon as it
  /// has delivered what is pending, or waits for the expiry if nothing is. (nats.c's
  /// `natsSubscription_Fetch` instead sends a waiting request for the whole batch after an
  /// empty answer and returns only when it is full or the timeout passed.)
  /// Messages delivered to `subscription` and not taken yet (late deliveries
  /// of a fetch request that expired on our side first).
  static func pendingMessages(_ subscription: OpaquePointer) -> Int {
    var messages: Int32 = 0
    var bytes: Int32 = 0
    guard natsSubscription_GetPending(subscription, &messages, &bytes) == NATS_OK else { return 0 }
    return Int(max(0, messages))
  }

  static func fetch(
    _ subscription: OpaquePointer, into list: inout natsMsgList, batch: Int, timeout: Duration
  ) -> natsStatus {
    var request = jsFetchRequest()
    jsFetchRequest_Init(&request)
    request.Batch = Int32(Swift.min(Swift.max(batch, 1), maxBatch))
    request.NoWait = true
    request.Expires = timeout.natsMilliseconds * 1_000_000
    return natsSubscription_FetchRequest(&list, subscription, &request)
  }

  /// The server's view of `subscription`'s consumer: `.gone` when it does not exist (any
  /// more), otherwise how many deliveries it made and how many messages are still pending.
  /// Throws `.streamNotFound` when the stream is gone, other failures as `NATSError`.
  static func state(of subscription: OpaquePointer, stream: String) throws(NATSError)
    -> ConsumerState
  {
    var info: UnsafeMutablePointer<jsConsumerInfo>?
    var jsError = jsErrCode(rawValue: 0)
    let status = natsSubscription_GetConsumerInfo(&info, subscription, nil, &jsError)
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

  /// Whether a reader must recreate its consumer after an empty fetch, given the server's
  /// `state` of it: when the server lost it, or, after the connection was re-established
  /// (`reconnected`), when the server delivered messages the reader will never receive
  /// (they were on the old connection). Without a reconnect nothing delivered goes missing:
  /// deliveries the server counts from `nextConsumerSequence` on are queued in the
  /// subscription (`queued`) or still on their way (the answer to a request that came after
  /// its fetch returned), and the next fetch takes them. Recreating the consumer then would
  /// only make the reader skip the subject's messages from its first again.
  static func mustRecreate(
    _ state: ConsumerState, nextConsumerSequence: UInt64, queued: Int, reconnected: Bool
  ) -> Bool {
    switch state {
    case .gone:
      return true
    case .active(let delivered, _):
      return reconnected && delivered >= nextConsumerSequence + UInt64(Swift.max(0, queued))
    }
  }

  /// What the server says about a consumer.
  enum ConsumerState: Equatable {
    /// The consumer does not exist.
    case gone
    /// The consumer exists, made `delivered` deliveries and has `pending` messages left.
    case active(delivered: UInt64, pending: UInt64)
  }

  /// Ends `subscription`: deletes its consumer on the server when `deleteConsumer` (one API
  /// request; skip it while disconnected, the server drops the consumer after
  /// `inactiveThreshold`), then frees it.
  static func remove(_ subscription: OpaquePointer, deleteConsumer: Bool) {
    if deleteConsumer {
      _ = natsSubscription_Unsubscribe(subscription)
    }
    natsSubscription_Destroy(subscription)
  }
}
