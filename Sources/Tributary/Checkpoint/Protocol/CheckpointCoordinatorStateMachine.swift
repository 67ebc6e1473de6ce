import DequeModule

/// The checkpoint coordinator's logic as a pure state machine: the
/// coordinator actor feeds it events and carries out the returned
/// `CheckpointAction`s in order. No I/O, no clock: time comes in as
/// `nowMillis` (any monotonic millisecond origin, never decreasing).
///
/// Guarantees:
/// - Ids strictly increase, starting at `firstCheckpointID`; every id handed
///   out ends in exactly one `.notifyComplete` or `.abort` (unless `.failJob`).
/// - Periodic triggers happen only on `tick`, at least `intervalMillis` (the
///   settings' interval, or the last ``changeInterval(to:)``) after
///   the previous periodic trigger (the first one `intervalMillis` after
///   creation), at least `minPauseBetweenCheckpointsMillis` after the last
///   completion, and only while fewer than `maxConcurrentCheckpoints` are in
///   flight (savepoints included). A late tick triggers at the tick's time.
/// - A checkpoint still waiting for acknowledgements `timeoutMillis` or more
///   after its trigger is aborted as expired by the next `tick`,
///   `acknowledged` or `savepointRequested` (so no acknowledgement arriving
///   after the deadline completes it). Once its metadata write was requested
///   it no longer expires: it waits for `storageCompleted`/`storageFailed`,
///   so files are never removed under a running write.
/// - `.commitMetadata` is returned once every task acknowledged;
///   `.notifyComplete` only after `storageCompleted`. Acknowledgements that
///   are late (aborted or unknown checkpoint), duplicate, or from unknown
///   tasks are ignored, as are declines and storage results for checkpoints
///   not in the matching phase.
/// - Completing periodic checkpoint n aborts (`.subsumed`) every older
///   periodic checkpoint still waiting for acknowledgements; one whose
///   metadata write is running is aborted as subsumed when that write
///   finishes. Savepoints are never subsumed and never subsume. After each
///   completed periodic checkpoint `.retain(keepLatest:)` follows.
/// - Failures follow Flink's `CheckpointFailureManager`: a failure counts if
///   its reason `countsAsFailure`, it is not a savepoint, and its id is newer
///   than the last completed one; any completion resets the count; when the
///   count exceeds `tolerableConsecutiveFailures`, `.failJob` is returned and
///   every later event returns no actions.
/// - Finished tasks (Flink's "checkpoints after tasks finished"): a finished
///   task counts as having acknowledged every later checkpoint, with its
///   final state, and periodic checkpoints go on while any task runs (a
///   running task gets the barriers from its running inputs; ended inputs
///   count as aligned). A requested savepoint is aborted at once with
///   `.taskFinished` when any task finished, and pending checkpoints that
///   lack a finishing task's acknowledgement are aborted with `.taskFinished`
///   (not counted).
public struct CheckpointCoordinatorStateMachine: Sendable {
  /// The settings, validated.
  public let settings: CheckpointSettings
  /// The tasks that must acknowledge every checkpoint.
  public let tasks: Set<TaskID>
  /// The source tasks that are triggered.
  public let sources: Set<TaskID>
  /// How many completed checkpoints the statistics summaries cover.
  public let statisticsWindow: Int

  /// The id the next trigger will use.
  public private(set) var nextCheckpointID: Int64
  /// Checkpoints and savepoints that completed.
  public private(set) var completedCount = 0
  /// Checkpoints and savepoints that were aborted, for any reason.
  public private(set) var failedCount = 0
  /// Counted failures since the last completion.
  public private(set) var consecutiveFailures = 0
  /// The newest completed checkpoint or savepoint id.
  public private(set) var latestCompletedCheckpoint: Int64?
  /// Whether `.failJob` was returned; the machine then ignores all events.
  public private(set) var hasFailedJob = false
  /// Tasks that reported `taskFinished`.
  public private(set) var finishedTasks: Set<TaskID> = []
  /// The periodic interval in force: `settings.intervalMillis` until
  /// ``changeInterval(to:)`` sets another.
  public private(set) var intervalMillis: Int64?

  private var pending: [Int64: PendingCheckpoint] = [:]
  private var lastPeriodicTriggerMillis: Int64
  private var lastCompletionMillis: Int64?
  private var latestCompletedPeriodic: Int64?
  private var recent: Deque<CompletedCheckpointStats> = []

  /// Creates a coordinator at time `nowMillis`: the first periodic checkpoint
  /// is due at `nowMillis + intervalMillis`. Throws if the settings are
  /// invalid, there is no source, a source is not in `tasks`, or
  /// `firstCheckpointID < 1` (after a restore pass the restored id + 1).
  /// `statisticsWindow` (at least 1) bounds the checkpoints summarised.
  public init(
    settings: CheckpointSettings, tasks: Set<TaskID>, sources: Set<TaskID>,
    nowMillis: Int64, firstCheckpointID: Int64 = 1,
    statisticsWindow: Int = 1_000
  ) throws(CheckpointConfigurationError) {
    try settings.validate()
    if sources.isEmpty { throw .noSourceTasks }
    if let stray = sources.subtracting(tasks).min() { throw .sourceNotAcknowledging(stray) }
    if firstCheckpointID < 1 { throw .firstCheckpointIDBelowOne(firstCheckpointID) }
    self.settings = settings
    self.tasks = tasks
    self.sources = sources
    self.statisticsWindow = Swift.max(1, statisticsWindow)
    nextCheckpointID = firstCheckpointID
    lastPeriodicTriggerMillis = nowMillis
    intervalMillis = settings.intervalMillis
  }

  /// Sets the periodic interval (an adaptive interval's choice); the next
  /// periodic checkpoint is due `millis` after the previous trigger. Ignored
  /// when periodic checkpoints are off; clamped to
  /// `CheckpointSettings.minimumIntervalMillis`.
  public mutating func changeInterval(to millis: Int64) {
    guard intervalMillis != nil else { return }
    intervalMillis = Swift.max(millis, CheckpointSettings.minimumIntervalMillis)
  }

  // MARK: Queries

  /// Ids of checkpoints and savepoints in flight, ascending.
  public var pendingCheckpoints: [Int64] { pending.keys.sorted() }

  /// Whether checkpoint `id` is in flight and waiting for its metadata write.
  public func isCommitting(_ id: Int64) -> Bool { pending[id]?.isCommitting ?? false }

  /// The tasks that acknowledged in-flight checkpoint `id` so far (empty if
  /// `id` is not in flight).
  public func acknowledgedTasks(of id: Int64) -> Set<TaskID> {
    pending[id].map { Set($0.acknowledgements.keys) } ?? []
  }

  /// The earliest time a `tick` could trigger a periodic checkpoint given the
  /// current state, or `nil` if none can until some other event (checkpoints
  /// off, too many in flight, every source finished, the job failed). Lets the actor
  /// sleep instead of ticking blindly; ticking also stays correct.
  public var nextPeriodicTriggerMillis: Int64? {
    guard let interval = intervalMillis, !hasFailedJob,
      sources.contains(where: { !finishedTasks.contains($0) }),
      pending.count < settings.maxConcurrentCheckpoints
    else { return nil }
    var due = lastPeriodicTriggerMillis + interval
    if let completed = lastCompletionMillis, settings.minPauseBetweenCheckpointsMillis > 0 {
      due = Swift.max(due, completed + settings.minPauseBetweenCheckpointsMillis)
    }
    return due
  }

  /// The statistics of the checkpoint or savepoint that completed last.
  public var latestCompletedStatistics: CompletedCheckpointStats? { recent.last }

  /// Counters and summaries of completed checkpoints: counts, and duration,
  /// sync pause, alignment and bytes over the last `statisticsWindow`.
  public var statistics: CheckpointStatistics {
    CheckpointStatistics(
      completed: completedCount, failed: failedCount,
      consecutiveFailures: consecutiveFailures, inProgress: pending.count,
      windowSize: statisticsWindow, recent: Array(recent))
  }

  // MARK: Events

  /// Time passed: aborts expired checkpoints (possibly failing the job), then
  /// triggers a periodic checkpoint if one is due and allowed.
  public mutating func tick(nowMillis: Int64) -> [CheckpointAction] {
    guard !hasFailedJob else { return [] }
    var actions = expire(nowMillis: nowMillis)
    if hasFailedJob { return actions }
    if let due = nextPeriodicTriggerMillis, nowMillis >= due {
      let id = nextCheckpointID
      nextCheckpointID += 1
      pending[id] = PendingCheckpoint(id: id, isSavepoint: false, triggerMillis: nowMillis)
      lastPeriodicTriggerMillis = nowMillis
      actions.append(.triggerSources(checkpoint: id, isSavepoint: false))
    }
    return actions
  }

  /// A savepoint was asked for: it is triggered at once, regardless of
  /// interval, minimum pause and concurrency limit (as in Flink), unless a
  /// task finished, in which case it gets an id and is aborted at once.
  /// Expired checkpoints are aborted first.
  public mutating func savepointRequested(nowMillis: Int64) -> [CheckpointAction] {
    guard !hasFailedJob else { return [] }
    var actions = expire(nowMillis: nowMillis)
    if hasFailedJob { return actions }
    let id = nextCheckpointID
    nextCheckpointID += 1
    if let finished = finishedTasks.min() {
      failedCount += 1
      actions.append(.abort(checkpoint: id, reason: .taskFinished(finished)))
      return actions
    }
    pending[id] = PendingCheckpoint(id: id, isSavepoint: true, triggerMillis: nowMillis)
    actions.append(.triggerSources(checkpoint: id, isSavepoint: true))
    return actions
  }

  /// Task `task` snapshotted checkpoint `checkpoint`. When this was the last
  /// missing acknowledgement, returns `.commitMetadata` with every task's
  /// statistics. Expired checkpoints are aborted first; late, duplicate and
  /// unknown-task acknowledgements are ignored.
  public mutating func acknowledged(
    checkpoint: Int64, task: TaskID, stats: TaskCheckpointStats? = nil, nowMillis: Int64
  ) -> [CheckpointAction] {
    guard !hasFailedJob else { return [] }
    var actions = expire(nowMillis: nowMillis)
    if hasFailedJob { return actions }
    guard tasks.contains(task), var entry = pending[checkpoint], !entry.isCommitting,
      entry.acknowledgements[task] == nil
    else { return actions }
    entry.acknowledgements[task] = stats ?? .zero
    if tasks.allSatisfy({ entry.acknowledgements[$0] != nil || finishedTasks.contains($0) }) {
      entry.isCommitting = true
      actions.append(
        .commitMetadata(checkpoint: checkpoint, acknowledgements: entry.acknowledgements))
    }
    pending[checkpoint] = entry
    return actions
  }

  /// Task `task` declined checkpoint `checkpoint`: a checkpoint still waiting
  /// for acknowledgements is aborted (counted if `reason.countsAsFailure`).
  public mutating func declined(
    checkpoint: Int64, task: TaskID, reason: CheckpointDeclineReason
  ) -> [CheckpointAction] {
    guard !hasFailedJob, tasks.contains(task), let entry = pending[checkpoint],
      !entry.isCommitting
    else { return [] }
    return fail(checkpoint, reason: .declined(task: task, reason: reason))
  }

  /// The metadata of `checkpoint` is durable: the checkpoint completes
  /// (subsuming older periodic ones, then `.notifyComplete`, then `.retain`
  /// for periodic checkpoints), unless a newer periodic checkpoint completed
  /// meanwhile, in which case it is aborted as subsumed.
  public mutating func storageCompleted(checkpoint: Int64, nowMillis: Int64) -> [CheckpointAction] {
    guard !hasFailedJob, let entry = pending[checkpoint], entry.isCommitting else { return [] }
    if !entry.isSavepoint, let newer = latestCompletedPeriodic, newer > checkpoint {
      return fail(checkpoint, reason: .subsumed(by: newer))
    }
    pending[checkpoint] = nil
    var actions: [CheckpointAction] = []
    if !entry.isSavepoint {
      for older in pending.keys.sorted() where older < checkpoint {
        guard let candidate = pending[older], !candidate.isSavepoint, !candidate.isCommitting
        else { continue }
        actions += fail(older, reason: .subsumed(by: checkpoint))
      }
      latestCompletedPeriodic = checkpoint
    }
    record(entry, completionMillis: nowMillis)
    actions.append(.notifyComplete(checkpoint: checkpoint))
    if !entry.isSavepoint { actions.append(.retain(keepLatest: settings.retainedCheckpoints)) }
    return actions
  }

  /// Writing the metadata of `checkpoint` failed: it is aborted (counted
  /// unless it is a savepoint).
  public mutating func storageFailed(checkpoint: Int64, reason: String) -> [CheckpointAction] {
    guard !hasFailedJob, let entry = pending[checkpoint], entry.isCommitting else { return [] }
    return fail(checkpoint, reason: .storageFailed(reason))
  }

  /// Task `task` finished: periodic triggering stops for good, and pending
  /// checkpoints still missing its acknowledgement are aborted (not counted).
  public mutating func taskFinished(_ task: TaskID) -> [CheckpointAction] {
    guard !hasFailedJob, tasks.contains(task) else { return [] }
    finishedTasks.insert(task)
    var actions: [CheckpointAction] = []
    for id in pending.keys.sorted() {
      guard let entry = pending[id], !entry.isCommitting, entry.acknowledgements[task] == nil
      else { continue }
      actions += fail(id, reason: .taskFinished(task))
    }
    return actions
  }

  // MARK: Internals

  /// Aborts checkpoints waiting for acknowledgements whose age reached the
  /// timeout, oldest first, stopping if the job fails.
  private mutating func expire(nowMillis: Int64) -> [CheckpointAction] {
    var actions: [CheckpointAction] = []
    for id in pending.keys.sorted() {
      guard let entry = pending[id], !entry.isCommitting,
        nowMillis - entry.triggerMillis >= settings.timeoutMillis
      else { continue }
      actions += fail(id, reason: .expired(timeoutMillis: settings.timeoutMillis))
      if hasFailedJob { break }
    }
    return actions
  }

  /// Removes `id`, counts the failure if it should count, and fails the job
  /// when the count exceeds the tolerance.
  private mutating func fail(_ id: Int64, reason: CheckpointFailureReason) -> [CheckpointAction] {
    guard let entry = pending.removeValue(forKey: id) else { return [] }
    failedCount += 1
    var actions: [CheckpointAction] = [.abort(checkpoint: id, reason: reason)]
    let newerThanCompleted = latestCompletedCheckpoint.map { id > $0 } ?? true
    if reason.countsAsFailure, !entry.isSavepoint, newerThanCompleted {
      consecutiveFailures += 1
      if consecutiveFailures > settings.tolerableConsecutiveFailures {
        hasFailedJob = true
        actions.append(.failJob(lastFailure: reason, consecutiveFailures: consecutiveFailures))
      }
    }
    return actions
  }

  /// Books a completion: counters, statistics window, min-pause reference.
  private mutating func record(_ entry: PendingCheckpoint, completionMillis: Int64) {
    completedCount += 1
    consecutiveFailures = 0
    lastCompletionMillis = completionMillis
    latestCompletedCheckpoint = Swift.max(latestCompletedCheckpoint ?? entry.id, entry.id)
    let stats = entry.acknowledgements.values
    recent.append(
      CompletedCheckpointStats(
        checkpoint: entry.id, isSavepoint: entry.isSavepoint,
        triggerMillis: entry.triggerMillis, completionMillis: completionMillis,
        maxSyncDurationMillis: stats.map(\.syncDurationMillis).max() ?? 0,
        maxAsyncDurationMillis: stats.map(\.asyncDurationMillis).max() ?? 0,
        maxAlignmentMillis: stats.map(\.alignmentMillis).max() ?? 0,
        totalBytes: stats.reduce(0) { $0 + $1.bytes },
        acknowledgedTasks: entry.acknowledgements.count))
    if recent.count > statisticsWindow { recent.removeFirst() }
  }
}
