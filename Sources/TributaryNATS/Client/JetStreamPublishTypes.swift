/// The server's acknowledgement of one published message: the message is stored (or was a
/// duplicate of a stored one).
public struct JetStreamPublishAck: Sendable, Hashable {
  /// The stream that stored the message.
  public let stream: String
  /// The stream sequence of the message (of the original one for a duplicate).
  public let sequence: UInt64
  /// True when the server dropped the message because a message with the same message ID was
  /// stored within the stream's duplicate window.
  public let duplicate: Bool

  /// Creates an acknowledgement value.
  public init(stream: String, sequence: UInt64, duplicate: Bool) {
    self.stream = stream
    self.sequence = sequence
    self.duplicate = duplicate
  }
}

/// One message for `JetStream.publishAll(_:)`.
public struct JetStreamOutgoingMessage: Sendable, Hashable {
  /// The subject to publish to; a stream must capture it.
  public var subject: String
  /// The message body.
  public var payload: [UInt8]
  /// The `Nats-Msg-Id` header for de-duplication, or nil for none.
  public var messageID: String?

  /// Creates a message for `subject` with `payload` and an optional de-duplication ID.
  public init(subject: String, payload: [UInt8], messageID: String? = nil) {
    self.subject = subject
    self.payload = payload
    self.messageID = messageID
  }
}

/// The outcome of a successful `JetStream.publishAll(_:)`: every message was acknowledged.
public struct JetStreamPublishSummary: Sendable, Hashable {
  /// Messages the server acknowledged (stored ones and duplicates); equals the number of
  /// messages given.
  public let published: Int
  /// Of those, how many the server reported as duplicates (same message ID within the
  /// stream's duplicate window) and did not store again.
  public let duplicates: Int

  /// Creates a summary value.
  public init(published: Int, duplicates: Int) {
    self.published = published
    self.duplicates = duplicates
  }
}
