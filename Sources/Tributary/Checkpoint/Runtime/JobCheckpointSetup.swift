import Foundation

/// Checkpointing of one run of a job: the coordinator, and the state restored
/// from the checkpoint the run resumes from.
struct JobCheckpointSetup: @unchecked Sendable {
  let coordinator: JobCheckpointCoordinator
  /// Restored operator states by operator id: (former subtask, parallelism, bytes).
  let restored: [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]]

  /// What `node`'s subtask `subtask` restores: every former subtask's state for
  /// keyed operators (each keeps its own key groups), else its own subtask's.
  func restoredState(of node: LogicalNode, subtask: Int) -> [[UInt8]] {
    guard let states = restored[node.operatorID] else { return [] }
    if node.isKeyed { return states.map(\.bytes) }
    return states.filter { $0.subtask == subtask }.map(\.bytes)
  }

  /// The newest savepoint with an id above `id` that loads and verifies.
  static func newestValidSavepoint(_ storage: CheckpointStorage, after id: Int64)
    -> CheckpointMetadata?
  {
    let directory = storage.directory.appendingPathComponent("savepoints")
    let ids = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
      .compactMap { $0.hasPrefix("sp-") ? Int64($0.dropFirst(3)) : nil }
      .filter { $0 > id }.sorted(by: >)
    for candidate in ids {
      if let metadata = try? storage.load(
        path: directory.appendingPathComponent("sp-\(candidate)"))
      {
        return metadata
      }
    }
    return nil
  }

  /// The largest id of any `chk-N` or `savepoints/sp-N` directory under `root`.
  static func highestUsedID(in root: URL) -> Int64 {
    var highest: Int64 = 0
    let manager = FileManager.default
    for (directory, prefix) in [(root, "chk-"), (root.appendingPathComponent("savepoints"), "sp-")]
    {
      for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
      where name.hasPrefix(prefix) {
        if let id = Int64(name.dropFirst(prefix.count)) { highest = max(highest, id) }
      }
    }
    return highest
  }

  /// The latest valid checkpoint; a directory of only broken checkpoints is an error.
  static func latestValid(_ storage: CheckpointStorage) throws -> (
    metadata: CheckpointMetadata, skipped: [(id: Int64, reason: String)]
  )? {
    do {
      return try storage.loadLatestValid()
    } catch {
      if case .noUsableCheckpoint = error {
        throw CheckpointingError.noUsableCheckpoint("\(error)")
      }
      throw error
    }
  }

  /// Prepares checkpointing for `plan`: opens storage, finds the checkpoint to
  /// resume from (unless fresh), commits its sink transactions, and reads its
  /// operator states.
  static func prepare(
    _ configuration: CheckpointingConfiguration, plan: PhysicalPlan, maxParallelism: Int
  ) throws -> JobCheckpointSetup {
    let storage = try CheckpointStorage(directory: URL(fileURLWithPath: configuration.directory))
    var metadata: CheckpointMetadata?
    if let path = configuration.restorePath {
      metadata = try storage.load(path: URL(fileURLWithPath: path))
      configuration.log("restoring from \(path)")
    } else if !configuration.fresh {
      if let found = try latestValid(storage) {
        for skipped in found.skipped {
          configuration.log("skipping checkpoint \(skipped.id): \(skipped.reason)")
        }
        metadata = found.metadata
      }
      // A newer savepoint committed output too: resume from it, not from an
      // older checkpoint (which would produce that output again).
      if let savepoint = newestValidSavepoint(storage, after: metadata?.id ?? 0) {
        metadata = savepoint
      }
      if let metadata {
        configuration.log(
          "resuming from \(metadata.kind == .savepoint ? "savepoint" : "checkpoint") "
            + "\(metadata.id) in \(configuration.directory)")
      }
    }
    var committers: [String: SinkCommitter] = [:]
    var tasks = Set<TaskID>()
    var sources = Set<TaskID>()
    for (c, chain) in plan.chains.enumerated() {
      for node in chain.nodes {
        if let committer = node.sinkCommitter { committers[node.operatorID] = committer }
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
      // Non-keyed state (source positions) needs the same parallelism.
      for (c, chain) in plan.chains.enumerated() {
        for node in chain.nodes where !node.isKeyed && !node.isSink {
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
    // Ids continue after every checkpoint or savepoint already in the directory
    // (a restore from an older savepoint must not reuse a newer checkpoint's id).
    let used = highestUsedID(in: storage.directory)
    let coordinator = try JobCheckpointCoordinator(
      configuration: configuration, storage: storage, tasks: tasks, sources: sources,
      firstCheckpointID: max(metadata?.id ?? 0, used) + 1, maxParallelism: maxParallelism,
      committers: committers)
    if let metadata { try coordinator.commitSinks(of: metadata) }
    return JobCheckpointSetup(coordinator: coordinator, restored: restored)
  }
}
