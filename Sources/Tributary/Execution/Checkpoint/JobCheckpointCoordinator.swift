import DequeModule
import Foundation
import Logging
import Synchronization

/// Runs the checkpoint protocol of one job: feeds the pure
/// ``CheckpointCoordinatorStateMachine`` with time and task acknowledgements
/// and carries out the actions it returns (trigger sources, write metadata,
/// commit sinks, abort, retain).
///
/// Thread-safe: tasks call it from their own Swift tasks; a ticking loop
/// drives time. The state machine and the coordinator's bookkeeping live
/// under one lock that is never held during I/O: the actions the machine
/// returns go into a FIFO queue, and whoever calls in next carries them out
/// in order under a second lock that serialises the I/O (metadata writes,
/// sink commits, aborts, retention). So a source asking for its next barrier
/// (``takeTrigger(for:)``, once per batch) never waits for an fsync.
final class JobCheckpointCoordinator: Sendable {
  private struct State: ~Copyable {
    var machine: CheckpointCoordinatorStateMachine
    var pendingTriggers: [TaskID: CheckpointBarrier] = [:]
    var snapshots: [Int64: [TaskSnapshot]] = [:]
    /// The final state of every finished task (source end positions, sinks'
    /// last transactions), by task.
    var finalSnapshots: [TaskID: [TaskSnapshot]] = [:]
    var failure: String?
    var incrementalBytes: [Int64] = []
    /// Pending savepoints, and the request each serves (stop after it?, who waits).
    var savepoints: [Int64: SavepointControl.Request] = [:]
    var stopRequested = false
    /// Set when the run ended: late acknowledgements of its tasks are ignored,
    /// so no checkpoint of a finished run completes behind a newer run's back.
    var closed = false
    var lastBytes: Int64 = 0
    /// Actions returned by the machine and not carried out yet, in order.
    var queue: Deque<CheckpointAction> = []
  }

  let storage: CheckpointStorage
  let configuration: CheckpointingConfiguration
  let maxParallelism: Int
  let committers: [String: SinkTransactions]
  /// The runtime clock: the state machine's time (intervals, timeouts, durations).
  let clock: any RuntimeClock
  /// Where checkpoint events are logged (savepoints, aborts, failures).
  let logger: Logger
  /// Told about every checkpoint's trigger, completion and abort.
  let monitor: JobMonitor?
  /// Chooses the interval after each completed checkpoint, with a recovery objective.
  let adaptive: AdaptiveCheckpointInterval?
  /// How this run's keyed operators restore their state, for the adaptive
  /// interval's read-back (`nil` without an adaptive interval).
  let rehearsals: RestoreRehearsals?
  /// Whether a read-back is running in the background (one at a time).
  private let readingBack = Mutex(false)
  private let state: Mutex<State>
  /// Held while actions are carried out: their I/O runs one at a time, in
  /// the order the machine returned them, outside `state`'s lock.
  private let io = Mutex(())
  /// The asynchronous parts of snapshots still running on Dispatch threads
  /// (``TaskCheckpointing/acknowledgeInBackground(_:syncMillis:alignmentMillis:)``),
  /// and whoever waits in ``close()`` for them to end.
  private let backgroundWrites = Mutex(BackgroundWrites())

  private struct BackgroundWrites: ~Copyable {
    var running = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  init(
    configuration: CheckpointingConfiguration, storage: CheckpointStorage, tasks: Set<TaskID>,
    sources: Set<TaskID>, firstCheckpointID: Int64,
    maxParallelism: Int,
    committers: [String: SinkTransactions], clock: any RuntimeClock = SystemRuntimeClock(),
    logger: Logger = Logger(label: "tributary"), monitor: JobMonitor? = nil,
    adaptive: AdaptiveCheckpointInterval? = nil, rehearsals: RestoreRehearsals? = nil
  ) throws {
    self.rehearsals = rehearsals
    self.clock = clock
    self.logger = logger
    self.monitor = monitor
    self.adaptive = adaptive
    self.configuration = configuration
    self.storage = storage
    self.maxParallelism = maxParallelism
    self.committers = committers
    var machine = try CheckpointCoordinatorStateMachine(
      settings: configuration.settings, tasks: tasks, sources: sources,
      nowMillis: clock.now().milliseconds,
      firstCheckpointID: firstCheckpointID)
    // A restarted run keeps the interval the job had chosen.
    if let adaptive {
      machine.changeInterval(to: adaptive.status.intervalMillis)
      monitor?.checkpointIntervalChosen(adaptive.status)
      logger.debug(
        "checkpoint interval in force",
        metadata: ["interval_ms": "\(machine.intervalMillis ?? 0)"])
    }
    state = Mutex(State(machine: machine))
  }

  /// Monotonic milliseconds of the runtime clock for the state machine
  /// (intervals, timeouts, durations): never jumps with the wall clock.
  func now() -> Int64 { clock.now().milliseconds }

  /// Wall-clock milliseconds since 1970, recorded in checkpoint metadata.
  static func wallClockMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

  /// What checkpointing did during the run.
  var report: CheckpointReport {
    state.withLock { s in
      let stats = s.machine.statistics
      let incremental = s.incrementalBytes
      return CheckpointReport(
        completed: stats.completed, failed: stats.failed,
        durationMillisP50: stats.duration.p50, durationMillisMax: stats.duration.max,
        syncMillisMax: stats.maxSyncPause.max, alignmentMillisMax: stats.maxAlignment.max,
        bytesLast: s.lastBytes,
        incrementalBytesAverage: incremental.isEmpty
          ? 0 : incremental.reduce(0, +) / Int64(incremental.count),
        intervalMillisFinal: s.machine.intervalMillis,
        predictedRecoveryMillis: adaptive?.status.predictedRecoveryMillis)
    }
  }

  /// Why checkpointing failed the job, if it did.
  var failure: String? { state.withLock { $0.failure } }

  /// The barrier a source task must emit next, if one was triggered.
  func takeTrigger(for task: TaskID) -> CheckpointBarrier? {
    state.withLock { $0.pendingTriggers.removeValue(forKey: task) }
  }

  /// A task snapshotted checkpoint `checkpoint`.
  func acknowledge(
    checkpoint: Int64, task: TaskID, snapshots: [TaskSnapshot], stats: TaskCheckpointStats
  ) {
    state.withLock { s in
      guard !s.closed else { return }
      s.snapshots[checkpoint, default: []].append(contentsOf: snapshots)
      s.queue.append(
        contentsOf: s.machine.acknowledged(
          checkpoint: checkpoint, task: task, stats: stats, nowMillis: now()))
    }
    drain()
  }

  /// A task could not snapshot checkpoint `checkpoint`.
  func decline(checkpoint: Int64, task: TaskID, reason: String) {
    state.withLock { s in
      guard !s.closed else { return }
      s.queue.append(
        contentsOf: s.machine.declined(
          checkpoint: checkpoint, task: task, reason: .snapshotFailed(reason)))
    }
    drain()
  }

  /// A task's input ended; `snapshots` describe its final state (source end
  /// positions, sinks' last transactions) for the final checkpoint, and for
  /// every checkpoint that completes after it finished.
  func taskFinished(_ task: TaskID, snapshots: [TaskSnapshot]) {
    state.withLock { s in
      guard !s.closed else { return }
      s.finalSnapshots[task] = snapshots
      s.queue.append(contentsOf: s.machine.taskFinished(task))
    }
    drain()
  }

  /// Advances checkpoint time (triggers, timeouts) and starts requested
  /// savepoints; while a recovery is being timed, checks whether it ended.
  func tick() {
    if let adaptive, adaptive.timingRecovery, let monitor,
      let (actual, predicted) = adaptive.poll(
        nowMillis: now(), sourceRecords: monitor.sourceRecordsAndBusiestRatio().sourceRecords)
    {
      logger.info(
        "recovered: back where the job was at the failure",
        metadata: [
          "recovery_ms": "\(Int64(actual))", "predicted_recovery_ms": "\(Int64(predicted))",
        ])
    }
    state.withLock { s in
      guard !s.closed else { return }
      if let request = configuration.savepoints?.takeRequest() {
        // The savepoint gets the next id, whether it is triggered or aborted at once.
        s.savepoints[s.machine.nextCheckpointID] = request
        s.queue.append(contentsOf: s.machine.savepointRequested(nowMillis: now()))
      }
      s.queue.append(contentsOf: s.machine.tick(nowMillis: now()))
    }
    drain()
  }

  /// Ends this run's checkpointing: later calls change nothing and queued
  /// actions are dropped (a completed checkpoint whose sinks were not
  /// committed yet is committed by the next run's restore). When it returns,
  /// no I/O of this run is in progress, and none will start: every
  /// asynchronous part of a snapshot of this run has ended, written (and
  /// ignored) or abandoned (one that had not written yet writes nothing).
  /// So a restart that begins after it never races this run's writes into
  /// its checkpoint directories.
  func close() async {
    let pending = state.withLock { s in
      s.closed = true
      let pending = s.savepoints
      s.savepoints = [:]
      return pending
    }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let running = backgroundWrites.withLock { writes in
        if writes.running > 0 { writes.waiters.append(continuation) }
        return writes.running
      }
      if running == 0 {
        continuation.resume()
      } else {
        logger.debug(
          "waiting for the run's background snapshot writes to end",
          metadata: ["running": "\(running)"])
      }
    }
    io.withLock { _ in }
    monitor?.checkpointRunEnded()
    for (id, request) in pending {
      configuration.savepoints?.failed(
        id: id, reason: "the run ended before it completed", request: request)
    }
  }

  /// Whether the run ended (``close()`` was called): an asynchronous part of
  /// a snapshot that has not written yet abandons its checkpoint.
  var isClosed: Bool { state.withLock { $0.closed } }

  /// Registers an asynchronous part of a snapshot about to start in the
  /// background; ``close()`` waits until it called ``backgroundWriteEnded()``.
  /// Returns `false` once the run ended: the caller abandons the snapshot.
  func backgroundWriteBegan() -> Bool {
    // Under `state`'s lock, so that no write begins after `close` looked.
    state.withLock { s in
      guard !s.closed else { return false }
      backgroundWrites.withLock { $0.running += 1 }
      return true
    }
  }

  /// An asynchronous part registered by ``backgroundWriteBegan()`` ended
  /// (acknowledged, declined or abandoned).
  func backgroundWriteEnded() {
    let waiters = backgroundWrites.withLock { writes in
      writes.running -= 1
      guard writes.running == 0 else { return [CheckedContinuation<Void, Never>]() }
      defer { writes.waiters = [] }
      return writes.waiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Whether a stop-with-savepoint completed: the job should stop now.
  var stopRequested: Bool { state.withLock { $0.stopRequested } }

  /// After every task ended normally: writes the final checkpoint (source end
  /// positions, the sinks' last transactions) and commits the sinks, so a
  /// restart after this point produces nothing twice.
  func completeFinalCheckpoint() throws {
    try io.withLock { _ in
      drainQueue()
      let metadata = state.withLock { s in
        CheckpointMetadata(
          id: s.machine.nextCheckpointID, creationTimeMillis: Self.wallClockMillis(),
          maxParallelism: maxParallelism,
          tasks: s.finalSnapshots.keys.sorted().flatMap { s.finalSnapshots[$0]! } + [
            TaskSnapshot(
              operatorID: "_job", subtaskIndex: 0, parallelism: 1, payload: ["finished": [1]])
          ])
      }
      try storage.commit(metadata)
      try commitSinks(of: metadata)
      try storage.retain(latest: configuration.settings.retainedCheckpoints)
    }
  }

  /// Commits the sink transactions recorded in `metadata` (idempotent).
  func commitSinks(of metadata: CheckpointMetadata) throws {
    for task in metadata.tasks {
      guard let sink = committers[task.operatorID], let bytes = task.payload["state"] else {
        continue
      }
      let started = ContinuousClock.now
      try sink.commit(bytes)
      monitor?.sinkCommitted(operatorID: task.operatorID, duration: ContinuousClock.now - started)
    }
  }

  /// Feeds a completed periodic checkpoint to the adaptive interval (reading
  /// it back when the restore time needs calibrating, see
  /// ``readBack(_:bytes:into:)``) and applies the interval it chooses; called
  /// with `io` held. The checkpoint is fed before its read-back begins, so
  /// its duration counts as undisturbed by it.
  private func adapt(
    _ adaptive: AdaptiveCheckpointInterval, after stats: CompletedCheckpointStats, bytes: Int64,
    checkpoint: CheckpointMetadata
  ) {
    let completedAt = now()
    let read = adaptive.wantsReadBack(bytes: bytes) ? readStates(of: checkpoint) : nil
    let load = monitor?.sourceRecordsAndBusiestRatio() ?? (sourceRecords: 0, busiestRatio: 1)
    let before = adaptive.status.intervalMillis
    let (interval, metChanged) = adaptive.checkpointCompleted(
      id: stats.checkpoint, nowMillis: completedAt, durationMillis: stats.durationMillis,
      bytes: bytes, sourceRecords: load.sourceRecords, busiestRatio: load.busiestRatio,
      readBackFollows: read != nil)
    apply(
      interval, before: before, objectiveMetChanged: metChanged, checkpoint: stats.checkpoint,
      adaptive)
    if let read { readBack(checkpoint, read, bytes: bytes, into: adaptive) }
  }

  /// Puts the interval `adaptive` chose (after checkpoint `id`) in force and
  /// reports it: metrics, and the log when it changed from `before` or the
  /// objective became unreachable or reachable again.
  private func apply(
    _ interval: Int64, before: Int64, objectiveMetChanged metChanged: Bool, checkpoint id: Int64,
    _ adaptive: AdaptiveCheckpointInterval
  ) {
    state.withLock { $0.machine.changeInterval(to: interval) }
    let status = adaptive.status
    monitor?.checkpointIntervalChosen(status)
    let metadata: Logger.Metadata = [
      "checkpoint": "\(id)", "interval_ms": "\(interval)",
      "objective_ms": "\(status.objectiveMillis)",
      "predicted_recovery_ms": "\(Int64(status.predictedRecoveryMillis ?? 0))",
    ]
    if metChanged && !status.objectiveMet {
      logger.warning(
        """
        the recovery objective cannot be met even at the minimum checkpoint interval: \
        running at the minimum (lower --checkpoint-min-interval, make the state smaller or \
        restores faster, or relax --recovery-objective)
        """, metadata: metadata)
    } else if metChanged {
      logger.info("the recovery objective can be met again", metadata: metadata)
    } else if interval != before {
      logger.info("checkpoint interval changed", metadata: metadata)
    }
  }

  /// A checkpoint's states read for a read-back, and how long reading took.
  private struct ReadStates {
    var states: UncheckedBox<[String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]]>
    var millis: Double
  }

  /// The states of completed checkpoint `checkpoint`, read for a read-back
  /// (with `io` held, so retention cannot remove the files meanwhile), with
  /// how long reading took; `nil` when no read-back can start (none
  /// possible, one already running, or reading failed).
  private func readStates(of checkpoint: CheckpointMetadata) -> ReadStates? {
    guard rehearsals != nil,
      readingBack.withLock({ running in
        defer { running = true }
        return !running
      })
    else { return nil }
    let started = ContinuousClock.now
    guard let states = try? JobCheckpointSetup.readStates(of: checkpoint, from: storage),
      backgroundWriteBegan()
    else {
      readingBack.withLock { $0 = false }
      return nil
    }
    return ReadStates(
      states: UncheckedBox(states),
      millis: Double((ContinuousClock.now - started).nanoseconds) / 1e6)
  }

  /// Times a restore of completed checkpoint `checkpoint` (of `bytes`) and
  /// hands it to `adaptive` as its read-back: its states were read already
  /// (`read`, see ``readStates(of:)``: about a tenth of the restore for heap
  /// state), then a background thread restores every keyed operator's state
  /// into scratch backends of the job's kind with the real restore's code
  /// and tears them down (``RestoreRehearsals/rehearse(_:)``). Read time
  /// (wall) plus restore time (the rehearsal's CPU time, see
  /// ``RestoreRehearsal/Outcome/restoreMillis``) is the read-back. When it
  /// ends, the interval `adaptive` returns (its first decision, if it waited
  /// for this read-back) is put in force.
  ///
  /// What it costs, rarely (only until the job has really restored, for the
  /// first checkpoint with state and when the size doubled or halved since):
  /// about one restore's CPU time beside the job, one more copy of the state
  /// in memory (heap) or a scratch RocksDB directory on the state's disk,
  /// removed when it ends, while it runs; one at a time. ``close()`` waits
  /// for a running one to end, so no scratch directory outlives the run.
  private func readBack(
    _ checkpoint: CheckpointMetadata, _ read: ReadStates, bytes: Int64,
    into adaptive: AdaptiveCheckpointInterval
  ) {
    guard let rehearsals else { return }
    let readMillis = read.millis
    let logger = logger
    adaptive.readBackBegan(nowMillis: now())
    DispatchQueue.global(qos: .utility).async { [self] in
      var measured: Double?
      defer {
        let before = adaptive.status.intervalMillis
        if let (interval, metChanged) = adaptive.readBackEnded(
          nowMillis: now(), bytes: bytes, millis: measured)
        {
          apply(
            interval, before: before, objectiveMetChanged: metChanged, checkpoint: checkpoint.id,
            adaptive)
        }
        readingBack.withLock { $0 = false }
        backgroundWriteEnded()
      }
      do {
        let outcome = try rehearsals.rehearse(read.states.value)
        let millis = readMillis + outcome.restoreMillis
        measured = millis
        logger.info(
          "checkpoint read back to calibrate the restore time",
          metadata: [
            "checkpoint": "\(checkpoint.id)", "bytes": "\(bytes)",
            "read_back_ms": "\(Int64(millis.rounded()))",
            "read_ms": "\(Int64(readMillis.rounded()))",
            "restore_cpu_ms": "\(Int64(outcome.cpuMillis.rounded()))",
            "entries_decoded": "\(outcome.decodedEntries)",
            "entries_inserted": "\(outcome.insertedEntries)",
            "scratch_directory": "\(outcome.scratchDirectory ?? "-")",
          ])
      } catch {
        logger.warning(
          "reading back a checkpoint to calibrate the restore time failed",
          metadata: ["checkpoint": "\(checkpoint.id)", "error": "\(error)"])
      }
    }
  }

  /// Carries out the queued actions (waiting for another caller's turn first).
  private func drain() {
    io.withLock { _ in drainQueue() }
  }

  /// Carries out queued actions in order until none is left; call with `io` held.
  /// I/O happens outside `state`'s lock; results go back into the machine
  /// under it, and the actions they produce join the queue.
  private func drainQueue() {
    while let action = state.withLock({ s in s.closed ? nil : s.queue.popFirst() }) {
      carryOut(action)
    }
  }

  /// A completed checkpoint that took longer than this is logged as slow: the
  /// interval (checkpoints then run back to back), or 10 s without one.
  private var slowCheckpointMillis: Int64 {
    max(state.withLock { $0.machine.intervalMillis } ?? 10_000, 1)
  }

  private func carryOut(_ action: CheckpointAction) {
    switch action {
    case .triggerSources(let id, let isSavepoint):
      monitor?.checkpointTriggered(id: id, isSavepoint: isSavepoint)
      if let adaptive, !isSavepoint, let monitor {
        adaptive.checkpointTriggered(
          id: id, sourceRecords: monitor.sourceRecordsAndBusiestRatio().sourceRecords)
      }
      logger.debug(
        "\(isSavepoint ? "savepoint" : "checkpoint") triggered", metadata: ["checkpoint": "\(id)"])
      state.withLock { s in
        for source in s.machine.sources where !s.machine.finishedTasks.contains(source) {
          s.pendingTriggers[source] = CheckpointBarrier(id: id, isSavepoint: isSavepoint)
        }
      }
    case .commitMetadata(let id, let acknowledgements):
      monitor?.checkpointAcknowledged(id: id, acknowledgements: acknowledgements)
      let metadata = state.withLock { s in
        // Tasks that finished before this checkpoint reached them: their
        // final state (so finished sinks' last transactions commit with it).
        s.snapshots[id, default: []] += s.finalSnapshots.keys.sorted()
          .filter { acknowledgements[$0] == nil }.flatMap { s.finalSnapshots[$0]! }
        return CheckpointMetadata(
          id: id, kind: s.savepoints[id] == nil ? .checkpoint : .savepoint,
          creationTimeMillis: Self.wallClockMillis(), maxParallelism: maxParallelism,
          tasks: s.snapshots[id]!)
      }
      do {
        try storage.commit(metadata)
        let inline = metadata.tasks.reduce(Int64(0)) {
          $0 + Int64($1.payload["state"]?.count ?? 0)
        }
        let files = storage.bytes(of: metadata)
        state.withLock { s in
          s.lastBytes = files.full + inline
          s.incrementalBytes.append(files.incremental + inline)
          s.queue.append(
            contentsOf: s.machine.storageCompleted(checkpoint: id, nowMillis: now()))
        }
      } catch {
        state.withLock { s in
          s.queue.append(contentsOf: s.machine.storageFailed(checkpoint: id, reason: "\(error)"))
        }
      }
    case .notifyComplete(let id):
      let (snapshots, request, stats, bytes) = state.withLock { s in
        let snapshots = s.snapshots.removeValue(forKey: id) ?? []
        for older in s.snapshots.keys where older < id { s.snapshots[older] = nil }
        let stats = s.machine.latestCompletedStatistics
        return (
          snapshots, s.savepoints.removeValue(forKey: id), stats?.checkpoint == id ? stats : nil,
          s.lastBytes
        )
      }
      let metadata = CheckpointMetadata(
        id: id, creationTimeMillis: 0, maxParallelism: maxParallelism, tasks: snapshots)
      var failure: String?
      do { try commitSinks(of: metadata) } catch {
        failure = "committing the sinks of checkpoint \(id) failed: \(error)"
      }
      let path = request.map { _ in
        (try? storage.privateDirectory(for: id, kind: .savepoint).path) ?? "?"
      }
      if let stats {
        monitor?.checkpointCompleted(stats, sizeBytes: bytes, path: path)
        let metadata: Logger.Metadata = [
          "checkpoint": "\(id)", "duration_ms": "\(stats.durationMillis)", "bytes": "\(bytes)",
          "sync_ms_max": "\(stats.maxSyncDurationMillis)",
          "alignment_ms_max": "\(stats.maxAlignmentMillis)",
        ]
        if stats.durationMillis > slowCheckpointMillis {
          logger.warning(
            "slow checkpoint: it took longer than the checkpoint interval", metadata: metadata)
        } else {
          logger.debug("checkpoint completed", metadata: metadata)
        }
      }
      if let stats, request == nil, let adaptive {
        adapt(adaptive, after: stats, bytes: bytes, checkpoint: metadata)
      }
      if let request, let path {
        logger.info("savepoint written", metadata: ["checkpoint": "\(id)", "path": "\(path)"])
        if request.stop {
          monitor?.stopRequested()
          state.withLock { $0.stopRequested = true }
        }
        configuration.savepoints?.written(path, id: id, request: request)
      }
      if let failure {
        logger.error("\(failure)", metadata: ["checkpoint": "\(id)"])
        state.withLock { $0.failure = failure }
      }
    case .abort(let id, let reason):
      let request = state.withLock { s in
        s.snapshots[id] = nil
        for (task, barrier) in s.pendingTriggers where barrier.id == id {
          s.pendingTriggers[task] = nil
        }
        return s.savepoints.removeValue(forKey: id)
      }
      monitor?.checkpointFailed(id: id, reason: "\(reason)")
      if let request {
        logger.warning(
          "savepoint failed", metadata: ["checkpoint": "\(id)", "reason": "\(reason)"])
        try? storage.abort(id: id, kind: .savepoint)
        configuration.savepoints?.failed(id: id, reason: "\(reason)", request: request)
      } else if reason.countsAsFailure {
        logger.warning(
          "checkpoint failed", metadata: ["checkpoint": "\(id)", "reason": "\(reason)"])
      } else {
        logger.debug(
          "checkpoint aborted", metadata: ["checkpoint": "\(id)", "reason": "\(reason)"])
      }
      try? storage.abort(id: id)
    case .failJob(let reason, let count):
      logger.error(
        "checkpointing failed too often: failing the job",
        metadata: ["consecutive_failures": "\(count)", "reason": "\(reason)"])
      state.withLock {
        $0.failure = "checkpointing failed \(count) times in a row (last: \(reason))"
      }
    case .retain(let count):
      _ = try? storage.retain(latest: count)
    }
  }
}
