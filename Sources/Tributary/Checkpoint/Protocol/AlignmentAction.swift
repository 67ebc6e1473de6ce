/// What the barrier aligner asks its task to do, in list order.
///
/// Guarantees (of `BarrierAligner`): each checkpoint id gets at most one of
/// `.snapshot` or `.abortAlignment`; snapshots come in increasing id order.
public enum AlignmentAction: Sendable, Hashable, CustomStringConvertible {
  /// Barrier `checkpoint` is complete on this task: snapshot state now, then
  /// forward the barrier downstream and acknowledge with `alignmentMillis`
  /// (first barrier to last, 0 for a single input).
  case snapshot(checkpoint: Int64, alignmentMillis: Int64)
  /// The alignment of `checkpoint` was given up because a newer checkpoint's
  /// barrier overtook it: decline it with `CheckpointDeclineReason.subsumed`
  /// (which does not count as a failure).
  case abortAlignment(checkpoint: Int64)

  /// A one-line rendering for logs.
  public var description: String {
    switch self {
    case .snapshot(let id, let millis): return "snapshot \(id) (aligned in \(millis) ms)"
    case .abortAlignment(let id): return "abort alignment of \(id)"
    }
  }
}
