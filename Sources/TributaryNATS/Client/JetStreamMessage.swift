/// A message read from a JetStream stream, copied out of nats.c (owns its payload).
public struct JetStreamMessage: Sendable, Hashable {
  /// The subject the message was published to.
  public let subject: String
  /// The message's sequence in the stream (unique and increasing within the stream).
  public let streamSequence: UInt64
  /// How many messages were still pending for the reading consumer after this one, when the
  /// server delivered it (0: this was the newest matching message).
  public let pending: UInt64
  /// The message body.
  public let payload: [UInt8]

  /// Creates a message value.
  public init(subject: String, streamSequence: UInt64, pending: UInt64, payload: [UInt8]) {
    self.subject = subject
    self.streamSequence = streamSequence
    self.pending = pending
    self.payload = payload
  }
}
