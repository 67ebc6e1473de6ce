import CNATS

extension JetStream {
  /// Benchmark baseline: reads every message of each of `subjects` in `stream` once, in
  /// stream order, subject after subject, `batch` messages per pull request, on the calling
  /// thread, straight through nats.c (no message values, no payload copies; only counts).
  /// Uses the same ephemeral no-ack pull consumer as `JetStreamSubjectReader`. Reads a subject
  /// until nothing is pending: first from the consumer's info, then from the last message
  /// delivered.
  ///
  /// Returns how many messages and payload bytes were read. Throws `.timeout` when the
  /// server sends nothing for `timeout`.
  public func plainReadAll(
    stream: String, subjects: [String], batch: Int
  ) throws(NATSError) -> (messages: Int, bytes: Int) {
    var messages = 0
    var bytes = 0
    let batch = Swift.min(Swift.max(batch, 1), PullConsumer.maxBatch)
    for subject in subjects {
      let consumer = try SubjectConsumer(jetStream: self, stream: stream, subject: subject)
      defer { consumer.remove(jetStream: self, deleteConsumer: connection.isConnected) }
      guard case .active(_, var pending) = try consumer.state(jetStream: self) else {
        throw .status(
          operation: "read \(stream) \(subject)", code: Int(NATS_NOT_FOUND.rawValue),
          text: "the consumer disappeared right after it was created")
      }
      var remaining = 0  // Messages the request in flight may still deliver.
      var emptyRequests = 0  // Requests in a row that ended without a message.
      while pending > 0 {
        if remaining == 0 {
          guard emptyRequests < 3 else {
            throw .status(
              operation: "fetch from \(stream) \(subject)", code: Int(NATS_ERR.rawValue),
              text: "\(emptyRequests) pull requests in a row ended without a message")
          }
          try NATSStatus.check(
            consumer.request(batch: batch, expiry: timeout),
            operation: "request messages of \(stream) \(subject)")
          remaining = batch
          emptyRequests += 1
        }
        switch try consumer.next(timeout: timeout) {
        case .message(let message):
          defer { natsMsg_Destroy(message) }
          remaining -= 1
          emptyRequests = 0
          messages += 1
          bytes += Int(natsMsg_GetDataLength(message))
          pending = AckReplyMetadata(reply: natsMsg_GetReply(message))?.pending ?? 0
        case .status:
          remaining = 0  // The request ended; `pending` says whether to send another.
        case .nothing:
          throw .timeout(operation: "fetch from \(stream) \(subject)")
        case .consumerGone:
          throw .status(
            operation: "fetch from \(stream) \(subject)", code: Int(NATS_NOT_FOUND.rawValue),
            text: "the consumer disappeared")
        }
      }
    }
    return (messages, bytes)
  }
}
