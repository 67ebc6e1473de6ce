import CNATS

extension JetStream {
  /// Publishes one message to `subject` and waits for the stream's acknowledgement (at most
  /// the context's timeout). With `messageID`, the message carries a `Nats-Msg-Id` header and
  /// the server drops it (acknowledging with `duplicate == true`) if a message with that ID
  /// was stored within the stream's duplicate window.
  ///
  /// When this returns, the message is stored. Throws `.timeout` when no acknowledgement
  /// came, `.status` "no responders" when no stream captures `subject`.
  public func publish(
    subject: String, payload: [UInt8], messageID: String? = nil
  ) throws(NATSError) -> JetStreamPublishAck {
    guard payload.count <= Int(Int32.max) else {
      throw .status(
        operation: "publish to \(subject)", code: Int(NATS_INVALID_ARG.rawValue),
        text: "payload of \(payload.count) bytes is too large")
    }
    var ack: UnsafeMutablePointer<jsPubAck>?
    var jsError = jsErrCode(rawValue: 0)
    var options = jsPubOptions()
    jsPubOptions_Init(&options)
    options.MaxWait = timeout.natsMilliseconds
    let status = payload.withUnsafeBytes { bytes in
      let count = Int32(bytes.count)
      guard let messageID else {
        return js_Publish(&ack, context, subject, bytes.baseAddress, count, &options, &jsError)
      }
      return messageID.withCString { id in
        options.MsgId = id
        return js_Publish(&ack, context, subject, bytes.baseAddress, count, &options, &jsError)
      }
    }
    defer { jsPubAck_Destroy(ack) }
    try NATSStatus.check(status, jsError: jsError, operation: "publish to \(subject)")
    guard let ack = ack?.pointee else {
      throw .status(
        operation: "publish to \(subject)", code: Int(NATS_ERR.rawValue),
        text: "nats.c returned no acknowledgement")
    }
    return JetStreamPublishAck(
      stream: ack.Stream.map { String(cString: $0) } ?? "", sequence: ack.Sequence,
      duplicate: ack.Duplicate)
  }

  /// Publishes all `messages` asynchronously (at most `AsyncPublisher.maxPending` unacknowledged
  /// at a time, in the given order on the wire) and waits until the stream acknowledged every
  /// one.
  ///
  /// On return every message is stored (or was a duplicate). Throws when any acknowledgement
  /// is negative (the first such error), or `.timeout` when acknowledgements stop arriving for
  /// the context's timeout; messages before the failure may already be stored, so resend with
  /// message IDs to make a retry idempotent.
  public func publishAll(
    _ messages: [JetStreamOutgoingMessage]
  ) throws(NATSError) -> JetStreamPublishSummary {
    try asyncPublisher.publishAll(messages, timeout: timeout)
  }
}
