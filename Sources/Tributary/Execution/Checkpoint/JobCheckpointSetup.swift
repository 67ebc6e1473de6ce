import Foundation
import Logging

/// Checkpointing of one run of a job: the coordinator, and the state restored
/// from the checkpoint the run resumes from.
struct JobCheckpointSetup: @unchecked Sendable {
  let coordinator: JobCheckpointCoordinator
  /// Restored operator states by operator id: (former subtask, parallelism, bytes).
  let restored: [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]]
  /// The size of the checkpoint restored (files and inline state), if any.
  let restoredBytes: Int64?
  /// The job's adaptive interval, with a recovery objective.
  let adaptive: AdaptiveCheckpointInterval?
  /// The id of the checkpoint the run resumes from (0: from scratch).
  let restoredID: Int64

  /// What `node`'s subtask `subtask` restores: every former subtask's state for
  /// keyed operators (each keeps its own key groups), else its own subtask's.
  func restoredState(of node: LogicalNode, subtask: Int) -> [[UInt8]] {
    guard let states = restored[node.operatorID] else { return [] }
    if node.isKeyed || node.redistributesState { return states.map(\.bytes) }
    return states.filter { $0.subtask == subtask }.map(\.bytes)
  }

  /// Prepares checkpointing for `plan`: opens storage, finds the checkpoint to
  /// resume from (unless fresh), removes directories of checkpoints that never
  /// completed, starts a new timeline from it (abandoning newer ids), moves
  /// aside sink output committed after it, commits its sink transactions, and
  /// reads its operator states.
  ///
  /// - Throws: ``CheckpointingError/noUsableCheckpoint(_:)`` when checkpoints
  ///   completed in this directory's timeline but none can be restored (the
  ///   job never silently starts from scratch), storage errors, and
  ///   ``CheckpointingError/incompatible(_:)`` when the checkpoint does not
  ///   fit the pipeline.
  static func prepare(
    _ configuration: CheckpointingConfiguration, plan: PhysicalPlan, maxParallelism: Int,
    clock: any RuntimeClock = SystemRuntimeClock(), logger: Logger = Logger(label: "tributary"),
    monitor: JobMonitor? = nil, adaptive: AdaptiveCheckpointInterval? = nil
  ) throws -> JobCheckpointSetup {
    let storage = try CheckpointStorage(directory: URL(fileURLWithPath: configuration.directory))
    let directory = Logger.MetadataValue.string(configuration.directory)
    if let warning = storage.timelineWarning {
      logger.warning("\(warning)", metadata: ["directory": directory])
    }
    var metadata: CheckpointMetadata?
    var base: CheckpointTimeline.Base?
    if let path = configuration.restorePath {
      let loaded = try storage.load(path: URL(fileURLWithPath: path))
      metadata = loaded
      base = CheckpointTimeline.Base(
        id: loaded.id, path: CheckpointStorage.checkpointDirectory(of: URL(fileURLWithPath: path)))
      logger.info(
        "restoring from \(loaded.kind == .savepoint ? "savepoint" : "checkpoint")",
        metadata: ["checkpoint": "\(loaded.id)", "path": "\(path)"])
    } else if !configuration.fresh {
      let found: CheckpointStorage.RestorePoint?
      do {
        found = try storage.restorePoint()
      } catch {
        if case .noUsableCheckpoint = error {
          throw CheckpointingError.noUsableCheckpoint("\(error)")
        }
        throw error
      }
      if let found {
        for skipped in found.skipped {
          logger.warning(
            "skipping checkpoint",
            metadata: [
              "checkpoint": "\(skipped.id)", "reason": "\(skipped.reason)", "directory": directory,
            ])
        }
        metadata = found.metadata
        base = CheckpointTimeline.Base(id: found.metadata.id, path: found.path)
        logger.info(
          "resuming from \(found.metadata.kind == .savepoint ? "savepoint" : "checkpoint")",
          metadata: ["checkpoint": "\(found.metadata.id)", "directory": directory])
      }
    }
    for removed in try storage.removeIncompleteCheckpoints() {
      logger.info(
        "removed a checkpoint that never completed (a run stopped while taking it)",
        metadata: ["removed": "\(removed)", "directory": directory])
    }
    let abandoned = try storage.beginTimeline(from: base)
    if !abandoned.isEmpty {
      let ids = abandoned.map(String.init).joined(separator: ", ")
      logger.warning(
        """
        newer checkpoints than the one this run starts from are kept until retention \
        removes them, never resumed from
        """,
        metadata: ["abandoned": "\(ids)", "directory": directory])
    }
    var committers: [String: SinkTransactions] = [:]
    var tasks = Set<TaskID>()
    var sources = Set<TaskID>()
    for (c, chain) in plan.chains.enumerated() {
      for node in chain.nodes {
        if let sink = node.sinkTransactions { committers[node.operatorID] = sink }
      }
      for subtask in 0..<chain.parallelism {
        let task = TaskID("task\(c)", subtask: subtask)
        tasks.insert(task)
        if chain.head.isSource { sources.insert(task) }
      }
    }
    var restored: [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]] = [:]
    if let metadata {
      guard metadata.maxParallelism == maxParallelism else {
        throw CheckpointingError.incompatible(
          "the checkpoint has \(metadata.maxParallelism) key groups, the job \(maxParallelism)")
      }
      restored = try readStates(of: metadata, from: storage)
      // Non-keyed state (source positions) needs the same parallelism.
      for (c, chain) in plan.chains.enumerated() {
        for node in chain.nodes where !node.isKeyed && !node.isSink && !node.redistributesState {
          if let states = restored[node.operatorID], let former = states.first?.parallelism,
            former != chain.parallelism
          {
            throw CheckpointingError.incompatible(
              "operator '\(node.name)' (task \(c)) ran with parallelism \(former) and now "
                + "\(chain.parallelism); its state is per subtask")
          }
        }
      }
    }
    // Output committed after the checkpoint resumed from belongs to the
    // abandoned timeline: move it aside, so the replay commits it once.
    let finished = metadata?.tasks.contains { $0.operatorID == "_job" } ?? false
    for sink in committers.values {
      if let moved = try sink.supersede(metadata?.id ?? 0, finished) {
        logger.warning("\(moved)", metadata: ["checkpoint": "\(metadata?.id ?? 0)"])
      }
    }
    // One source of ids: after every id this directory ever used.
    let coordinator = try JobCheckpointCoordinator(
      configuration: configuration, storage: storage, tasks: tasks, sources: sources,
      firstCheckpointID: storage.timeline.highestUsedID + 1, maxParallelism: maxParallelism,
      committers: committers, clock: clock, logger: logger, monitor: monitor, adaptive: adaptive,
      rehearsals: adaptive.map { _ in RestoreRehearsals() })
    if let metadata { try coordinator.commitSinks(of: metadata) }
    return JobCheckpointSetup(
      coordinator: coordinator, restored: restored,
      restoredBytes: metadata.map { storageBytes(of: $0, in: storage) }, adaptive: adaptive,
      restoredID: metadata?.id ?? 0)
  }

  /// Reads the operator states of `metadata` as a restore does: inline
  /// state, state files, and native RocksDB snapshots converted to the
  /// portable format. By operator id: (former subtask, parallelism, bytes).
  /// Also the calibration read-back of an adaptive interval.
  static func readStates(of metadata: CheckpointMetadata, from storage: CheckpointStorage) throws
    -> [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]]
  {
    var restored: [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]] = [:]
    for task in metadata.tasks where task.operatorID != "_job" {
      if let manifest = task.payload[TaskSnapshot.fileManifestKey] {
        // A native RocksDB snapshot: read it into the portable format.
        let snapshot = try NativeSnapshotManifest(decoding: manifest).portableSnapshot(
          files: task.files.map { storage.directory.appendingPathComponent($0.path) },
          scratchParent: NSTemporaryDirectory())
        restored[task.operatorID, default: []].append(
          (task.subtaskIndex, task.parallelism, snapshot.bytes))
        continue
      }
      var bytes = task.payload["state"]
      if bytes == nil, let file = task.files.first {
        bytes = Array(try Data(contentsOf: storage.directory.appendingPathComponent(file.path)))
      }
      guard let bytes else { continue }
      restored[task.operatorID, default: []].append((task.subtaskIndex, task.parallelism, bytes))
    }
    return restored
  }

  /// The size of checkpoint `metadata`: its files and its inline state.
  static func storageBytes(of metadata: CheckpointMetadata, in storage: CheckpointStorage) -> Int64
  {
    let inline = metadata.tasks.reduce(Int64(0)) { $0 + Int64($1.payload["state"]?.count ?? 0) }
    return storage.bytes(of: metadata).full + inline
  }
}
