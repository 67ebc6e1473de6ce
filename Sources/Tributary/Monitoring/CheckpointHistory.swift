import DequeModule
import Foundation

/// The checkpoints of a job, as its monitor reports them: counts since the
/// job started and the last `capacity` checkpoints. A pure value: the
/// coordinator's events go in, ``status`` comes out.
///
/// Guarantees: every id is reported once, in trigger order; an entry moves
/// from in progress to completed or failed at most once; counts include
/// entries that have left the window.
struct CheckpointHistory: Sendable {
  let capacity: Int
  private(set) var entries: Deque<CheckpointEntry> = []
  private(set) var completed = 0
  private(set) var failed = 0
  private(set) var latestCompleted: CheckpointEntry?
  /// Every subtask's part of the checkpoints in `entries`, once all acknowledged.
  private var parts: [Int64: [CheckpointSubtaskStatus]] = [:]

  init(capacity: Int) { self.capacity = max(1, capacity) }

  /// Checkpoint `id` was triggered at wall-clock `wallMillis`.
  mutating func triggered(id: Int64, isSavepoint: Bool, wallMillis: Int64) {
    entries.append(
      CheckpointEntry(
        id: id, status: .inProgress, isSavepoint: isSavepoint,
        triggerTime: Self.iso8601(wallMillis)))
    if entries.count > capacity, let gone = entries.popFirst() { parts[gone.id] = nil }
  }

  /// Every subtask acknowledged checkpoint `id` with `subtasks`.
  mutating func acknowledged(id: Int64, subtasks: [CheckpointSubtaskStatus]) {
    guard entries.contains(where: { $0.id == id }) else { return }
    parts[id] = subtasks
  }

  /// Checkpoint `id` with its subtasks' parts, if it is in the history.
  func detail(id: Int64) -> CheckpointDetail? {
    guard let entry = entries.last(where: { $0.id == id }) else { return nil }
    return CheckpointDetail(checkpoint: entry, subtasks: parts[id] ?? [])
  }

  /// Checkpoint `id` completed.
  mutating func completed(
    id: Int64, durationMillis: Int64, sizeBytes: Int64, alignmentMillisMax: Int64,
    syncMillisMax: Int64, asyncMillisMax: Int64, path: String?
  ) {
    guard let index = entries.lastIndex(where: { $0.id == id }),
      entries[index].status == .inProgress
    else { return }
    entries[index].status = .completed
    entries[index].durationMs = durationMillis
    entries[index].sizeBytes = sizeBytes
    entries[index].alignmentMsMax = alignmentMillisMax
    entries[index].syncMsMax = syncMillisMax
    entries[index].asyncMsMax = asyncMillisMax
    entries[index].path = path
    completed += 1
    latestCompleted = entries[index]
  }

  /// Checkpoint `id` was aborted.
  mutating func failed(id: Int64, reason: String) {
    guard let index = entries.lastIndex(where: { $0.id == id }),
      entries[index].status == .inProgress
    else { return }
    entries[index].status = .failed
    entries[index].failure = reason
    failed += 1
  }

  /// The run ended: checkpoints still in progress never complete.
  mutating func runEnded() {
    for index in entries.indices where entries[index].status == .inProgress {
      entries[index].status = .failed
      entries[index].failure = "the run ended before it completed"
      failed += 1
    }
  }

  /// What `GET /api/v1/checkpoints` reports.
  var status: CheckpointsStatus {
    CheckpointsStatus(
      counts: CheckpointCounts(
        completed: completed, failed: failed,
        inProgress: entries.reduce(0) { $0 + ($1.status == .inProgress ? 1 : 0) }),
      latestCompleted: latestCompleted, history: Array(entries))
  }

  /// `wallMillis` (since 1970) as ISO 8601 in UTC with milliseconds.
  static func iso8601(_ wallMillis: Int64) -> String {
    // Half a millisecond more, so that the formatter's truncation of binary
    // fractions cannot show the millisecond before.
    Date(timeIntervalSince1970: (Double(wallMillis) + 0.5) / 1_000).formatted(
      Date.ISO8601FormatStyle(includingFractionalSeconds: true))
  }
}
