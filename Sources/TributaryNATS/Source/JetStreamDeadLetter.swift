/// A JetStream message the source could not decode: it is skipped (its
/// position still advances, so it is never read again) and emitted to the
/// dead-letter side output when one is given; the job goes on.
public struct JetStreamDeadLetter: Sendable, Equatable, CustomStringConvertible {
  /// The message's subject (its split).
  public let subject: String
  /// Its JetStream stream sequence.
  public let streamSequence: UInt64
  /// Why it could not be decoded.
  public let reason: String
  /// The raw payload.
  public let payload: [UInt8]

  /// Creates a dead letter.
  public init(subject: String, streamSequence: UInt64, reason: String, payload: [UInt8]) {
    self.subject = subject
    self.streamSequence = streamSequence
    self.reason = reason
    self.payload = payload
  }

  public var description: String {
    "\(subject)#\(streamSequence): \(reason) (payload: \(String(decoding: payload.prefix(80), as: UTF8.self)))"
  }
}
