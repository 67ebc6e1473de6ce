import Foundation
import Synchronization

/// Runs the checkpoint protocol of one job: feeds the pure
/// ``CheckpointCoordinatorStateMachine`` with time and task acknowledgements
/// and carries out the actions it returns (trigger sources, write metadata,
/// commit sinks, abort, retain).
///
/// Thread-safe: tasks call it from their own Swift tasks; a ticking loop
/// (``run()``) drives time. Storage I/O happens under its lock, so calls are
/// serialised.
final class JobCheckpointCoordinator: Sendable {
  private struct State: ~Copyable {
    var machine: CheckpointCoordinatorStateMachine
    var pendingTriggers: [TaskID: CheckpointBarrier] = [:]
    var snapshots: [Int64: [TaskSnapshot]] = [:]
    var finalSnapshots: [TaskSnapshot] = []
    var failure: String?
    var incrementalBytes: [Int64] = []
    /// Pending savepoints, and whether to stop the job after each.
    var savepoints: [Int64: Bool] = [:]
    var stopRequested = false
    /// Set when the run ended: late acknowledgements of its tasks are ignored,
    /// so no checkpoint of a finished run completes behind a newer run's back.
    var closed = false
    var lastBytes: Int64 = 0
  }

  let storage: CheckpointStorage
  let configuration: CheckpointingConfiguration
  let maxParallelism: Int
  let committers: [String: SinkTransactions]
  private let state: Mutex<State>

  init(
    configuration: CheckpointingConfiguration, storage: CheckpointStorage, tasks: Set<TaskID>,
    sources: Set<TaskID>, firstCheckpointID: Int64, maxParallelism: Int,
    committers: [String: SinkTransactions]
  ) throws {
    self.configuration = configuration
    self.storage = storage
    self.maxParallelism = maxParallelism
    self.committers = committers
    let machine = try CheckpointCoordinatorStateMachine(
      settings: configuration.settings, tasks: tasks, sources: sources,
      nowMillis: Self.now(), firstCheckpointID: firstCheckpointID)
    state = Mutex(State(machine: machine))
  }

  static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

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
          ? 0 : incremental.reduce(0, +) / Int64(incremental.count))
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
      let actions = s.machine.acknowledged(
        checkpoint: checkpoint, task: task, stats: stats, nowMillis: Self.now())
      perform(actions, &s)
    }
  }

  /// A task could not snapshot checkpoint `checkpoint`.
  func decline(checkpoint: Int64, task: TaskID, reason: String) {
    state.withLock { s in
      guard !s.closed else { return }
      perform(
        s.machine.declined(checkpoint: checkpoint, task: task, reason: .snapshotFailed(reason)), &s)
    }
  }

  /// A task's input ended; `snapshots` describe its final state (source end
  /// positions, sinks' last transactions) for the final checkpoint.
  func taskFinished(_ task: TaskID, snapshots: [TaskSnapshot]) {
    state.withLock { s in
      guard !s.closed else { return }
      s.finalSnapshots.append(contentsOf: snapshots)
      perform(s.machine.taskFinished(task), &s)
    }
  }

  /// Advances checkpoint time (triggers, timeouts) and starts requested savepoints.
  func tick() {
    state.withLock { s in
      guard !s.closed else { return }
      if let stop = configuration.savepoints?.takeRequest() {
        let actions = s.machine.savepointRequested(nowMillis: Self.now())
        for case .triggerSources(let id, true) in actions { s.savepoints[id] = stop }
        perform(actions, &s)
      }
      perform(s.machine.tick(nowMillis: Self.now()), &s)
    }
  }

  /// Ends this run's checkpointing: later calls change nothing. When it
  /// returns, no metadata write of this run is in progress.
  func close() { state.withLock { $0.closed = true } }

  /// Whether a stop-with-savepoint completed: the job should stop now.
  var stopRequested: Bool { state.withLock { $0.stopRequested } }

  /// After every task ended normally: writes the final checkpoint (source end
  /// positions, the sinks' last transactions) and commits the sinks, so a
  /// restart after this point produces nothing twice.
  func completeFinalCheckpoint() throws {
    try state.withLock { s in
      let id = s.machine.nextCheckpointID
      let metadata = CheckpointMetadata(
        id: id, creationTimeMillis: Self.now(), maxParallelism: maxParallelism,
        tasks: s.finalSnapshots + [
          TaskSnapshot(
            operatorID: "_job", subtaskIndex: 0, parallelism: 1, payload: ["finished": [1]])
        ])
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
      try sink.commit(bytes)
    }
  }

  private func perform(_ actions: [CheckpointAction], _ s: inout State) {
    var queue = actions[...]
    while let action = queue.popFirst() {
      switch action {
      case .triggerSources(let id, let isSavepoint):
        for source in s.machine.sources where !s.machine.finishedTasks.contains(source) {
          s.pendingTriggers[source] = CheckpointBarrier(id: id, isSavepoint: isSavepoint)
        }
      case .commitMetadata(let id, _):
        let metadata = CheckpointMetadata(
          id: id, kind: s.savepoints[id] == nil ? .checkpoint : .savepoint,
          creationTimeMillis: Self.now(), maxParallelism: maxParallelism,
          tasks: s.snapshots[id] ?? [])
        do {
          try storage.commit(metadata)
          let inline = metadata.tasks.reduce(Int64(0)) {
            $0 + Int64($1.payload["state"]?.count ?? 0)
          }
          let files = storage.bytes(of: metadata)
          s.lastBytes = files.full + inline
          s.incrementalBytes.append(files.incremental + inline)
          queue.append(
            contentsOf: s.machine.storageCompleted(checkpoint: id, nowMillis: Self.now()))
        } catch {
          queue.append(contentsOf: s.machine.storageFailed(checkpoint: id, reason: "\(error)"))
        }
      case .notifyComplete(let id):
        let metadata = CheckpointMetadata(
          id: id, creationTimeMillis: 0, maxParallelism: maxParallelism,
          tasks: s.snapshots.removeValue(forKey: id) ?? [])
        do { try commitSinks(of: metadata) } catch {
          s.failure = "committing the sinks of checkpoint \(id) failed: \(error)"
        }
        if let stop = s.savepoints.removeValue(forKey: id) {
          let path = (try? storage.privateDirectory(for: id, kind: .savepoint).path) ?? "?"
          configuration.savepoints?.written(path)
          configuration.log("savepoint \(id) written to \(path)")
          if stop { s.stopRequested = true }
        }
        for older in s.snapshots.keys where older < id { s.snapshots[older] = nil }
      case .abort(let id, _):
        s.snapshots[id] = nil
        if s.savepoints.removeValue(forKey: id) != nil {
          configuration.log("savepoint \(id) failed")
          try? storage.abort(id: id, kind: .savepoint)
        }
        for (task, barrier) in s.pendingTriggers where barrier.id == id {
          s.pendingTriggers[task] = nil
        }
        try? storage.abort(id: id)
      case .failJob(let reason, let count):
        s.failure = "checkpointing failed \(count) times in a row (last: \(reason))"
      case .retain(let count):
        _ = try? storage.retain(latest: count)
      }
    }
  }
}
