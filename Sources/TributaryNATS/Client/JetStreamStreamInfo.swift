/// A snapshot of a stream's configuration and state, as the server reported it.
public struct JetStreamStreamInfo: Sendable, Hashable {
  /// The stream's name.
  public let name: String
  /// The subjects (possibly with wildcards) the stream was configured to capture.
  public let configuredSubjects: [String]
  /// The window within which messages with the same message ID are dropped as duplicates.
  public let duplicateWindow: Duration
  /// How many messages the stream holds.
  public let messages: UInt64
  /// The sequence of the oldest message held (the next sequence if the stream is empty).
  public let firstSequence: UInt64
  /// The sequence of the newest message held (0 if nothing was ever stored).
  public let lastSequence: UInt64
  /// How many bytes the stream's messages take on the server (payloads, subjects, headers).
  public let bytes: UInt64

  /// Creates a snapshot (for tests and callers that build one by hand).
  public init(
    name: String, configuredSubjects: [String], duplicateWindow: Duration, messages: UInt64,
    firstSequence: UInt64, lastSequence: UInt64, bytes: UInt64 = 0
  ) {
    self.name = name
    self.configuredSubjects = configuredSubjects
    self.duplicateWindow = duplicateWindow
    self.messages = messages
    self.firstSequence = firstSequence
    self.lastSequence = lastSequence
    self.bytes = bytes
  }
}
