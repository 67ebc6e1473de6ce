/// Barrier alignment for one task with `channelCount` input channels, as a
/// pure state machine: the task feeds it the barriers and end-of-input
/// markers it reads, asks `isBlocked(channel:)` before taking elements from a
/// channel, and carries out the returned `AlignmentAction`s. No I/O, no
/// clock: time comes in as `nowMillis`.
///
/// Guarantees:
/// - Exactly-once: after a channel delivered barrier n it is blocked (the task
///   must not take its later elements) until barrier n arrived on every open
///   channel; then `.snapshot(n, alignment)` is returned and every channel is
///   unblocked. So the snapshot reflects exactly the records before barrier n
///   on every channel. One alignment at a time: a barrier m > n while
///   aligning n returns `.abortAlignment(n)`, unblocks the channels and starts
///   aligning m with that barrier (Flink's behaviour).
/// - At-least-once: nothing is ever blocked; the snapshot of n happens when
///   barrier n arrived on every open channel. Several checkpoints may be
///   counted at once; completing n aborts older incomplete ones (as Flink's
///   `CheckpointBarrierTracker` drops them).
/// - Ended channels count as having delivered every barrier, so ending the
///   last missing channel completes an alignment; when all channels ended no
///   barrier can arrive anymore.
/// - A barrier whose id is not newer than the last snapshotted or given-up
///   checkpoint is ignored (stale), as is a second barrier of the same id on
///   one channel. A task with one input snapshots at once, alignment 0.
/// - `alignmentMillis` runs from the first barrier of that checkpoint on
///   this task to the event that completed it.
public struct BarrierAligner: Sendable {
  /// One checkpoint whose barriers are being collected.
  private struct Alignment: Sendable {
    let checkpoint: Int64
    let startMillis: Int64
    var arrived: Set<Int>
  }

  /// Whether barriers are aligned (blocking) or only counted.
  public let mode: CheckpointingMode
  /// The number of input channels, `0..<channelCount`.
  public let channelCount: Int

  private var ended: Set<Int> = []
  /// Ascending by checkpoint; at most one entry in exactly-once mode.
  private var alignments: [Alignment] = []
  /// Every barrier with an id up to this one is stale.
  private var settledThrough: Int64 = 0

  /// Creates an aligner for a task with `channelCount` (at least 1) inputs.
  public init(channelCount: Int, mode: CheckpointingMode) {
    precondition(channelCount >= 1, "a task has at least one input channel")
    self.channelCount = channelCount
    self.mode = mode
  }

  /// Whether the task must not take elements from `channel` now. Always
  /// `false` in at-least-once mode and for ended channels.
  public func isBlocked(channel: Int) -> Bool {
    guard mode == .exactlyOnce, let current = alignments.first else { return false }
    return current.arrived.contains(channel)
  }

  /// The checkpoint currently being aligned (exactly-once) or the oldest
  /// being counted (at-least-once), if any.
  public var currentCheckpoint: Int64? { alignments.first?.checkpoint }

  /// Channels that have not ended.
  public var openChannelCount: Int { channelCount - ended.count }

  /// Barrier `checkpoint` was read from `channel` at `nowMillis`.
  public mutating func barrier(checkpoint: Int64, channel: Int, nowMillis: Int64)
    -> [AlignmentAction]
  {
    precondition((0..<channelCount).contains(channel), "channel \(channel) out of range")
    guard checkpoint > settledThrough, !ended.contains(channel) else { return [] }
    var actions: [AlignmentAction] = []
    if let index = alignments.firstIndex(where: { $0.checkpoint == checkpoint }) {
      guard alignments[index].arrived.insert(channel).inserted else { return [] }
    } else {
      if mode == .exactlyOnce, let current = alignments.first {
        if current.checkpoint > checkpoint { return [] }
        alignments.removeAll()
        settledThrough = current.checkpoint
        actions.append(.abortAlignment(checkpoint: current.checkpoint))
      }
      let new = Alignment(checkpoint: checkpoint, startMillis: nowMillis, arrived: [channel])
      let position = alignments.firstIndex { $0.checkpoint > checkpoint } ?? alignments.endIndex
      alignments.insert(new, at: position)
    }
    return actions + completeAlignments(nowMillis: nowMillis)
  }

  /// `channel` delivered end-of-input at `nowMillis`: from now on it counts
  /// as having delivered every barrier, which may complete an alignment.
  public mutating func endOfInput(channel: Int, nowMillis: Int64) -> [AlignmentAction] {
    precondition((0..<channelCount).contains(channel), "channel \(channel) out of range")
    guard ended.insert(channel).inserted else { return [] }
    for index in alignments.indices { alignments[index].arrived.remove(channel) }
    return completeAlignments(nowMillis: nowMillis)
  }

  /// The coordinator aborted `checkpoint` (or a cancellation marker
  /// arrived): stop aligning it and everything older, unblock the channels,
  /// and treat its later barriers as stale. No action is returned: the
  /// caller already knows.
  public mutating func checkpointAborted(_ checkpoint: Int64) {
    alignments.removeAll { $0.checkpoint <= checkpoint }
    settledThrough = Swift.max(settledThrough, checkpoint)
  }

  /// Snapshots every alignment that has all open channels, in id order, and
  /// gives up older incomplete ones first.
  private mutating func completeAlignments(nowMillis: Int64) -> [AlignmentAction] {
    var actions: [AlignmentAction] = []
    let needed = openChannelCount
    while let first = alignments.firstIndex(where: { $0.arrived.count >= needed }) {
      for older in alignments[..<first] {
        actions.append(.abortAlignment(checkpoint: older.checkpoint))
      }
      let done = alignments[first]
      alignments.removeSubrange(...first)
      settledThrough = done.checkpoint
      actions.append(
        .snapshot(checkpoint: done.checkpoint, alignmentMillis: nowMillis - done.startMillis))
    }
    return actions
  }
}
