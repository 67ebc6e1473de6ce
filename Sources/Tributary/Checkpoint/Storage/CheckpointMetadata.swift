/// The description of one complete checkpoint or savepoint: which subtasks
/// contributed which files and small payloads.
///
/// Written last, atomically, as `_metadata` by ``CheckpointStorage/commit(_:)``;
/// a checkpoint without an intact `_metadata` is not complete. A plain
/// immutable value, `Codable` (JSON on disk).
public struct CheckpointMetadata: Sendable, Hashable, Codable {
  /// Whether this is a periodic checkpoint (subject to retention) or a
  /// user-triggered savepoint (kept until the user deletes it).
  public enum Kind: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A periodic checkpoint in `chk-<id>/`.
    case checkpoint
    /// A savepoint in `savepoints/sp-<id>/`, never deleted by retention.
    case savepoint

    /// `checkpoint` or `savepoint`.
    public var description: String { rawValue }
  }

  /// The checkpoint id (increasing, from the coordinator).
  public var id: Int64
  /// Checkpoint or savepoint.
  public var kind: Kind
  /// When the checkpoint was triggered, in milliseconds since 1970.
  public var creationTimeMillis: Int64
  /// The job's number of key groups (unchanged across restarts).
  public var maxParallelism: Int
  /// One entry per subtask that acknowledged the checkpoint.
  public var tasks: [TaskSnapshot]

  /// Metadata for checkpoint `id`.
  public init(
    id: Int64, kind: Kind = .checkpoint, creationTimeMillis: Int64, maxParallelism: Int,
    tasks: [TaskSnapshot]
  ) {
    self.id = id
    self.kind = kind
    self.creationTimeMillis = creationTimeMillis
    self.maxParallelism = maxParallelism
    self.tasks = tasks
  }

  /// Every file referenced by any task, each path once, in first-seen order.
  public var allFiles: [CheckpointFileRef] {
    var seen = Set<String>()
    var result: [CheckpointFileRef] = []
    for task in tasks {
      for file in task.files where seen.insert(file.path).inserted {
        result.append(file)
      }
    }
    return result
  }
}
