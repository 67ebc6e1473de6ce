/// Where a JetStream stream keeps its messages.
public enum JetStreamStorage: Sendable, Hashable {
  /// On disk in the server's storage directory: messages survive a server restart.
  case file
  /// In server memory: faster, lost when the server stops.
  case memory
}
