/// The checkpoints of a job: the body of `GET /api/v1/checkpoints`.
public struct CheckpointsStatus: Sendable, Codable, Equatable {
  /// How many checkpoints completed, failed, and are in progress now.
  public var counts: CheckpointCounts
  /// The newest completed checkpoint or savepoint, if any.
  @NullEncodable public var latestCompleted: CheckpointEntry? = nil
  /// The last checkpoints (at most ``JobMonitor/historySize``), oldest first.
  public var history: [CheckpointEntry]
  /// The interval the job chose from its recovery objective; `null` without
  /// an objective (the interval is then the configured one, see `/config`).
  @NullEncodable public var interval: CheckpointIntervalStatus? = nil

  enum CodingKeys: String, CodingKey {
    case counts, history, interval
    case latestCompleted = "latest_completed"
  }
}

/// The checkpoint interval chosen from a recovery-time objective.
public struct CheckpointIntervalStatus: Sendable, Codable, Equatable {
  /// The interval in force.
  public var intervalMs: Int64
  /// Whether the job chooses the interval (always `true` when present).
  public var adaptive: Bool
  /// The objective: failure to back where the job was.
  public var recoveryObjectiveMs: Int64
  /// The predicted recovery time at the current interval (`null` before the
  /// second completed checkpoint).
  @NullEncodable public var predictedRecoveryMs: Int64? = nil
  /// `false` when the objective cannot be met even at the minimum interval
  /// (the job then runs at the minimum).
  public var objectiveMet: Bool

  enum CodingKeys: String, CodingKey {
    case adaptive
    case intervalMs = "interval_ms"
    case recoveryObjectiveMs = "recovery_objective_ms"
    case predictedRecoveryMs = "predicted_recovery_ms"
    case objectiveMet = "objective_met"
  }
}

/// Checkpoint counts since the job started (over all its runs).
public struct CheckpointCounts: Sendable, Codable, Equatable {
  /// Checkpoints and savepoints that completed.
  public var completed: Int
  /// Checkpoints and savepoints that failed or were aborted.
  public var failed: Int
  /// Triggered and not yet completed or failed.
  public var inProgress: Int

  enum CodingKeys: String, CodingKey {
    case completed, failed
    case inProgress = "in_progress"
  }
}

/// Whether a checkpoint is still running, completed or failed.
public enum CheckpointEntryStatus: String, Sendable, Codable {
  /// Triggered, not complete yet.
  case inProgress = "IN_PROGRESS"
  /// Durable and committed.
  case completed = "COMPLETED"
  /// Aborted (timeout, declined, subsumed, storage failure, the run ended).
  case failed = "FAILED"
}

/// One checkpoint or savepoint of a job.
public struct CheckpointEntry: Sendable, Codable, Equatable {
  /// The checkpoint id.
  public var id: Int64
  /// Where it is.
  public var status: CheckpointEntryStatus
  /// Whether it is a savepoint.
  public var isSavepoint: Bool
  /// Wall-clock trigger time, as ISO 8601 (UTC).
  public var triggerTime: String
  /// Trigger to durable metadata, for completed checkpoints.
  @NullEncodable public var durationMs: Int64? = nil
  /// Bytes the checkpoint references (its full size), for completed checkpoints.
  @NullEncodable public var sizeBytes: Int64? = nil
  /// The longest barrier alignment of any subtask.
  @NullEncodable public var alignmentMsMax: Int64? = nil
  /// The longest synchronous snapshot pause of any subtask.
  @NullEncodable public var syncMsMax: Int64? = nil
  /// The longest asynchronous snapshot part (writing files) of any subtask.
  @NullEncodable public var asyncMsMax: Int64? = nil
  /// Why it failed, for failed checkpoints.
  @NullEncodable public var failure: String? = nil
  /// The savepoint's directory, for completed savepoints.
  @NullEncodable public var path: String? = nil

  enum CodingKeys: String, CodingKey {
    case id, status, path, failure
    case isSavepoint = "is_savepoint"
    case triggerTime = "trigger_time"
    case durationMs = "duration_ms"
    case sizeBytes = "size_bytes"
    case alignmentMsMax = "alignment_ms_max"
    case syncMsMax = "sync_ms_max"
    case asyncMsMax = "async_ms_max"
  }
}

/// One checkpoint with every subtask's part: the body of `GET /api/v1/checkpoints/{id}`.
public struct CheckpointDetail: Sendable, Codable, Equatable {
  /// The checkpoint as the history lists it.
  public var checkpoint: CheckpointEntry
  /// Every subtask's acknowledgement, by vertex then subtask (empty until
  /// every subtask acknowledged, and for checkpoints that failed before).
  public var subtasks: [CheckpointSubtaskStatus]
}

/// One subtask's part of a checkpoint.
public struct CheckpointSubtaskStatus: Sendable, Codable, Equatable {
  /// The vertex's id.
  public var vertex: Int
  /// The vertex's name.
  public var name: String
  /// The subtask index.
  public var subtask: Int
  /// From the first barrier to the last on its inputs.
  public var alignmentMs: Int64
  /// Processing paused for the synchronous part of the snapshot.
  public var syncMs: Int64
  /// The asynchronous part (writing files), while processing went on.
  public var asyncMs: Int64
  /// Bytes it wrote for this checkpoint.
  public var sizeBytes: Int64

  enum CodingKeys: String, CodingKey {
    case vertex, name, subtask
    case alignmentMs = "alignment_ms"
    case syncMs = "sync_ms"
    case asyncMs = "async_ms"
    case sizeBytes = "size_bytes"
  }
}
