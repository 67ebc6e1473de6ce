/// How a JetStream sink publishes.
public enum JetStreamSinkMode: Sendable, Equatable {
  /// Records of a checkpoint are published only after it completed, each
  /// with a `Nats-Msg-Id` derived from job, sink, subtask, checkpoint and
  /// position, so a publish repeated after a crash is dropped by the
  /// stream's duplicate window. Records become visible per checkpoint.
  case exactlyOnce
  /// Records are published at once; a replay after a restore publishes the
  /// records since the checkpoint again.
  case atLeastOnce
}

/// Where and how a JetStream sink publishes.
public struct JetStreamSinkOptions: Sendable {
  /// The server, e.g. `nats://127.0.0.1:4222`.
  public var url: String
  /// The subject every record is published to; a stream must capture it.
  public var subject: String
  /// Guarantee.
  public var mode: JetStreamSinkMode
  /// Identifies the job in message ids; stable across restarts of one job.
  public var jobID: String
  /// Exactly once needs the stream's duplicate window to cover the time
  /// between a checkpoint's first publish and a repeat after a crash and
  /// restart; the sink refuses to start with a shorter window.
  public var requiredDuplicateWindow: Duration

  /// Creates options; see the properties for their meaning.
  public init(
    url: String, subject: String, mode: JetStreamSinkMode = .exactlyOnce, jobID: String,
    requiredDuplicateWindow: Duration = .seconds(60)
  ) {
    self.url = url
    self.subject = subject
    self.mode = mode
    self.jobID = jobID
    self.requiredDuplicateWindow = requiredDuplicateWindow
  }
}

/// Why a JetStream sink could not start.
public enum JetStreamSinkError: Error, CustomStringConvertible {
  /// No stream of the server captures the subject.
  case noStream(subject: String)
  /// The stream's duplicate window is shorter than exactly once needs.
  case duplicateWindowTooShort(stream: String, window: Duration, required: Duration)

  public var description: String {
    switch self {
    case .noStream(let subject):
      return "no JetStream stream captures subject \(subject): create one whose subjects "
        + "include it (for example `nats stream add` or JetStream.createStream)"
    case .duplicateWindowTooShort(let stream, let window, let required):
      return "stream \(stream) drops duplicate message ids only within \(window), but exactly "
        + "once needs at least \(required) (a checkpoint's messages may be published again "
        + "after a crash and restart): raise the stream's duplicate window, or use at-least-once"
    }
  }
}
