import Dispatch

/// A task's link to the job's checkpoint coordinator: writes the task's
/// snapshot to checkpoint storage and acknowledges it.
struct TaskCheckpointing: @unchecked Sendable {
  let coordinator: JobCheckpointCoordinator
  let task: TaskID
  let subtask: Int
  let parallelism: Int
  let mode: CheckpointingMode

  /// Snapshots smaller than this travel in the metadata; larger ones get a file.
  static let inlineLimit = 16 * 1_024

  /// The asynchronous part of a snapshot: writes the states in `builder` to
  /// checkpoint storage and acknowledges (or declines) the checkpoint in the
  /// background, while the task goes on processing. The coordinator counts it
  /// until it ended, so a run's ``JobCheckpointCoordinator/close()`` waits for
  /// it; once the run ended it is abandoned instead (nothing written).
  func acknowledgeInBackground(
    _ builder: TaskSnapshotBuilder, syncMillis: Int64, alignmentMillis: Int64
  ) {
    guard coordinator.backgroundWriteBegan() else { return }
    let box = UncheckedBox((self, builder))
    // On a Dispatch thread, not the cooperative pool: the work blocks on file
    // I/O, and a backend closing waits for it (IncrementalRocksDBSnapshots).
    DispatchQueue.global(qos: .utility).async {
      let (checkpointing, builder) = box.value
      defer { checkpointing.coordinator.backgroundWriteEnded() }
      let clock = checkpointing.coordinator.clock
      let started = clock.now()
      checkpointing.acknowledge(
        builder, syncMillis: syncMillis, alignmentMillis: alignmentMillis,
        asyncMillis: { (clock.now() - started).milliseconds })
    }
  }

  /// Stores the states in `builder` and acknowledges the checkpoint (or
  /// declines it when storage fails; processing goes on either way). Writes
  /// nothing once the run ended (its checkpoint can no longer complete, and
  /// the next run may already be cleaning up the directory): the snapshot is
  /// abandoned. `asyncMillis` is read after the states were produced and
  /// stored.
  func acknowledge(
    _ builder: TaskSnapshotBuilder, syncMillis: Int64, alignmentMillis: Int64,
    asyncMillis: () -> Int64 = { 0 }
  ) {
    guard !coordinator.isClosed else { return }
    do {
      let states = try builder.states()
      // Producing the states may take long (encoding, native snapshots).
      guard !coordinator.isClosed else { return }
      let snapshots = try store(states, builder: builder, checkpoint: builder.checkpoint)
      let bytes = states.reduce(0) {
        $0 + Int64($1.snapshot.bytes.count) + $1.snapshot.files.reduce(0) { $0 + $1.size }
      }
      coordinator.acknowledge(
        checkpoint: builder.checkpoint, task: task, snapshots: snapshots,
        stats: TaskCheckpointStats(
          syncDurationMillis: syncMillis, asyncDurationMillis: asyncMillis(),
          alignmentMillis: alignmentMillis, bytes: bytes))
    } catch {
      coordinator.decline(checkpoint: builder.checkpoint, task: task, reason: "\(error)")
    }
  }

  /// Reports the task's final state (after end of input) for the final checkpoint.
  func finished(_ builder: TaskSnapshotBuilder) throws {
    coordinator.taskFinished(
      task, snapshots: try store(try builder.states(), builder: builder, checkpoint: nil))
  }

  private func store(
    _ states: [(operatorID: String, snapshot: OperatorSnapshot)], builder: TaskSnapshotBuilder,
    checkpoint: Int64?
  ) throws -> [TaskSnapshot] {
    try states.map { state in
      if !state.snapshot.files.isEmpty {
        // The operator wrote its files itself; the bytes describe them.
        return TaskSnapshot(
          operatorID: state.operatorID, subtaskIndex: subtask, parallelism: parallelism,
          files: state.snapshot.files,
          payload: [TaskSnapshot.fileManifestKey: state.snapshot.bytes])
      }
      let bytes = state.snapshot.bytes
      if bytes.count <= Self.inlineLimit || checkpoint == nil {
        return TaskSnapshot(
          operatorID: state.operatorID, subtaskIndex: subtask, parallelism: parallelism,
          payload: ["state": bytes])
      }
      let safe = String(state.operatorID.map { $0.isLetter || $0.isNumber ? $0 : "_" })
      let file = try coordinator.storage.writeFile(
        checkpoint: checkpoint!, name: "\(safe)-\(subtask).state", bytes: bytes,
        kind: builder.isSavepoint ? .savepoint : .checkpoint)
      return TaskSnapshot(
        operatorID: state.operatorID, subtaskIndex: subtask, parallelism: parallelism,
        files: [file])
    }
  }
}
