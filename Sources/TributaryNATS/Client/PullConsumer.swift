/// What `JetStreamSubjectReader` and `JetStream.plainReadAll` share about their pull
/// consumers (`SubjectConsumer`): limits, the server's view of a consumer, and when a reader
/// recreates one.
enum PullConsumer {
  /// How long the server keeps an ephemeral consumer nobody pulls from. A reader that lost
  /// its consumer (this, a server restart) recreates it where it left off.
  static let inactiveThreshold: Duration = .seconds(120)
  /// The largest batch one pull request asks for.
  static let maxBatch = 65_536

  /// Whether a reader must recreate its consumer after a wait that brought nothing, given the server's
  /// `state` of it: when the server lost it, or, after the connection was re-established
  /// (`reconnected`), when the server delivered messages the reader will never receive
  /// (they were on the old connection). Without a reconnect nothing delivered goes missing:
  /// deliveries the server counts from `nextConsumerSequence` on are queued in the
  /// subscription (`queued`) or still on their way (the answer to a request that came after
  /// the reader's wait ended), and a later wait takes them. Recreating the consumer then would
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
}
