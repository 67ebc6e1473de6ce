/// How a task with several input channels treats checkpoint barriers.
///
/// Guarantees: `.exactlyOnce` makes every snapshot reflect exactly the records
/// before barrier n on every input (records after it are held back during
/// alignment), so state after recovery counts each record once.
/// `.atLeastOnce` never holds records back, so a snapshot may already include
/// records sent after barrier n on a fast channel, which are replayed after a
/// recovery (counted twice) — lower latency, weaker guarantee.
public enum CheckpointingMode: String, Sendable, Hashable, CaseIterable {
  /// Barriers are aligned: channels that delivered barrier n are blocked until
  /// barrier n arrived on every open channel.
  case exactlyOnce = "exactly-once"
  /// Barriers are only counted: nothing is blocked; the snapshot is taken when
  /// the last channel delivered barrier n.
  case atLeastOnce = "at-least-once"
}
