import Tributary

/// How a JetStream source reads its stream.
public struct JetStreamSourceOptions: Sendable {
  /// The server, e.g. `nats://127.0.0.1:4222`.
  public var url: String
  /// The stream to read; its subjects are the source's splits.
  public var stream: String
  /// Bounded: read every message each subject held when the job (or this
  /// run of it) started, then end. Unbounded: follow the stream.
  public var bounded: Bool
  /// Per-split event time.
  public var watermarks: SplitWatermarkOptions
  /// Messages asked for per fetch and split (bounds what the source buffers:
  /// a slow pipeline is never read ahead by more than one fetch per split).
  public var fetchBatch: Int
  /// How long a fetch waits for the first message when none is ready.
  public var fetchWait: Duration
  /// A server that stays unreachable this long fails the job (a restart
  /// then resumes from the last checkpoint); shorter outages are retried
  /// with back-off while the job keeps its state.
  public var connectionLossTimeout: Duration

  /// Creates options; see the properties for their meaning.
  public init(
    url: String, stream: String, bounded: Bool = false,
    watermarks: SplitWatermarkOptions = SplitWatermarkOptions(),
    fetchBatch: Int = 1_024, fetchWait: Duration = .milliseconds(20),
    connectionLossTimeout: Duration = .seconds(30)
  ) {
    self.url = url
    self.stream = stream
    self.bounded = bounded
    self.watermarks = watermarks
    self.fetchBatch = fetchBatch
    self.fetchWait = fetchWait
    self.connectionLossTimeout = connectionLossTimeout
  }
}

/// Why a JetStream source failed the job.
public enum JetStreamSourceError: Error, CustomStringConvertible {
  /// The server stayed unreachable for longer than the configured timeout.
  case serverUnreachable(url: String, for: Duration, lastError: String)
  /// A checkpointed position is not a stream sequence (a corrupt checkpoint).
  case corruptPosition(subject: String)

  public var description: String {
    switch self {
    case .serverUnreachable(let url, let duration, let lastError):
      return "the JetStream server at \(url) was unreachable for \(duration) (\(lastError)); "
        + "start it again and restart the job: it resumes from its last checkpoint"
    case .corruptPosition(let subject):
      return "the checkpointed position of subject \(subject) is corrupt; restore from an "
        + "older checkpoint or start with --fresh"
    }
  }
}
