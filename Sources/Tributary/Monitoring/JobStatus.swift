/// The lifecycle state of a job, as Flink names it.
public enum JobState: String, Sendable, Codable {
  /// Defined, not yet started (``StreamEnvironment/execute()`` not called yet).
  case created = "CREATED"
  /// Its tasks are running.
  case running = "RUNNING"
  /// A task failed; the job waits for the restart delay, then resumes from
  /// its latest checkpoint.
  case restarting = "RESTARTING"
  /// Every source ended and every sink committed, or a stop-with-savepoint completed.
  case finished = "FINISHED"
  /// It failed and will not restart (see ``JobStatus/error``).
  case failed = "FAILED"
  /// It was cancelled (its task was cancelled, for example by a signal).
  case canceled = "CANCELED"

  /// Whether the job has ended (finished, failed or cancelled).
  public var isTerminal: Bool { self == .finished || self == .failed || self == .canceled }
}

/// A point-in-time view of a job: the body of `GET /api/v1/job`.
///
/// A vertex is a chain of the physical plan (operators fused into one task),
/// as in Flink's web UI. Counters are totals since the job started (they keep
/// counting across restarts); rates and ratios are over the last sampling
/// period (about one second).
public struct JobStatus: Sendable, Codable, Equatable {
  /// The job's name.
  public var name: String
  /// Where the job is in its lifecycle.
  public var state: JobState
  /// Wall-clock time the job started, as ISO 8601 (UTC), or `nil` before it started.
  @NullEncodable public var startedAt: String? = nil
  /// Milliseconds from the start until now, or until the job ended.
  public var durationMs: Int64
  /// Why the job failed (or the last failure it restarted after), if any.
  @NullEncodable public var error: String? = nil
  /// How many times the job restarted after a failure.
  public var restarts: Int
  /// Whether checkpointing is on (savepoints need it).
  public var checkpointing: Bool
  /// The tasks of the physical plan, in plan order.
  public var vertices: [VertexStatus]
  /// The data edges between vertices.
  public var edges: [EdgeStatus]

  enum CodingKeys: String, CodingKey {
    case name, state, error, restarts, checkpointing, vertices, edges
    case startedAt = "started_at"
    case durationMs = "duration_ms"
  }
}

/// One vertex (chain of operators) of a running job.
///
/// Its ratios are those of its most loaded subtask, as Flink's job graph
/// colours a vertex: the highest busy and backpressure ratios, the lowest
/// idle ratio.
public struct VertexStatus: Sendable, Codable, Equatable {
  /// The vertex's index in the physical plan (`task N` in `explain()`).
  public var id: Int
  /// The chained operators' names, joined by " -> ".
  public var name: String
  /// How many subtasks run it.
  public var parallelism: Int
  /// Records its first operator received, over all subtasks (0 for sources).
  public var recordsIn: Int64
  /// Records its last operator sent on, over all subtasks (0 for sinks).
  public var recordsOut: Int64
  /// `recordsIn` per second over the last sampling period.
  public var recordsInPerSecond: Double
  /// `recordsOut` per second over the last sampling period.
  public var recordsOutPerSecond: Double
  /// The highest share of the last period a subtask spent processing (0 to 1).
  public var busyRatio: Double
  /// The lowest share of the last period a subtask spent waiting for input.
  public var idleRatio: Double
  /// The highest share of the last period a subtask spent waiting on a full
  /// output channel (0 to 1): high means a slower vertex downstream.
  public var backpressureRatio: Double
  /// The lowest current event time over its subtasks that are not idle (the
  /// watermark its first operator has seen, for a source the one it emitted),
  /// or `nil` while any active subtask has none or every subtask is idle.
  @NullEncodable public var watermarkMs: Int64? = nil
  /// Its subtasks, by index.
  public var subtasks: [SubtaskStatus]
  /// The chained operators, first to last.
  public var operators: [OperatorStatus]

  enum CodingKeys: String, CodingKey {
    case id, name, parallelism, operators, subtasks
    case recordsIn = "records_in"
    case recordsOut = "records_out"
    case recordsInPerSecond = "records_in_per_second"
    case recordsOutPerSecond = "records_out_per_second"
    case busyRatio = "busy_ratio"
    case idleRatio = "idle_ratio"
    case backpressureRatio = "backpressure_ratio"
    case watermarkMs = "watermark_ms"
  }
}

/// One subtask of a vertex: where skew shows.
public struct SubtaskStatus: Sendable, Codable, Equatable {
  /// The subtask index, `0..<parallelism`.
  public var index: Int
  /// Records its first operator received (0 for sources).
  public var recordsIn: Int64
  /// Records its last operator sent on (0 for sinks).
  public var recordsOut: Int64
  /// `recordsIn` per second over the last sampling period.
  public var recordsInPerSecond: Double
  /// `recordsOut` per second over the last sampling period.
  public var recordsOutPerSecond: Double
  /// Share of the last period spent processing; busy + idle + backpressure = 1.
  public var busyRatio: Double
  /// Share of the last period spent waiting for input.
  public var idleRatio: Double
  /// Share of the last period spent waiting on full output channels.
  public var backpressureRatio: Double
  /// Its current event time (ms), or `nil` before its first watermark.
  @NullEncodable public var watermarkMs: Int64? = nil
  /// Whether its input is idle in event time (then its watermark does not hold others back).
  public var idle: Bool

  enum CodingKeys: String, CodingKey {
    case index, idle
    case recordsIn = "records_in"
    case recordsOut = "records_out"
    case recordsInPerSecond = "records_in_per_second"
    case recordsOutPerSecond = "records_out_per_second"
    case busyRatio = "busy_ratio"
    case idleRatio = "idle_ratio"
    case backpressureRatio = "backpressure_ratio"
    case watermarkMs = "watermark_ms"
  }
}

/// One operator inside a vertex.
public struct OperatorStatus: Sendable, Codable, Equatable {
  /// The operator's name (its metrics label).
  public var name: String
  /// Records it received, over all subtasks.
  public var recordsIn: Int64
  /// Records it emitted to the next operator or task, over all subtasks.
  public var recordsOut: Int64
  /// Its lowest current event time over subtasks, or `nil` while any has none.
  @NullEncodable public var watermarkMs: Int64? = nil

  enum CodingKeys: String, CodingKey {
    case name
    case recordsIn = "records_in"
    case recordsOut = "records_out"
    case watermarkMs = "watermark_ms"
  }
}

/// A data edge between two vertices.
public struct EdgeStatus: Sendable, Codable, Equatable {
  /// The producing vertex's id.
  public var from: Int
  /// The consuming vertex's id.
  public var to: Int
  /// How records are split: FORWARD, REBALANCE, HASH or BROADCAST.
  public var partitioning: String
  /// The side output's tag, when the edge carries one.
  @NullEncodable public var sideOutput: String? = nil

  enum CodingKeys: String, CodingKey {
    case from, to, partitioning
    case sideOutput = "side_output"
  }
}

/// Throughput of the whole job at one sampling time (for the dashboard's chart).
public struct ThroughputSample: Sendable, Codable, Equatable {
  /// Wall-clock milliseconds since 1970.
  public var timeMs: Int64
  /// Records per second the sources emitted.
  public var sourceRecordsPerSecond: Double
  /// Records per second the sinks received.
  public var sinkRecordsPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case timeMs = "time_ms"
    case sourceRecordsPerSecond = "source_records_per_second"
    case sinkRecordsPerSecond = "sink_records_per_second"
  }
}

/// One failure of the job: the body of `GET /api/v1/exceptions` lists them.
public struct ExceptionEntry: Sendable, Codable, Equatable {
  /// Wall-clock time of the failure, as ISO 8601 (UTC).
  public var time: String
  /// The innermost error, the one an operator or source threw.
  public var rootCause: String
  /// The failed operator, when one failed.
  @NullEncodable public var operatorName: String? = nil
  /// The failed subtask, when one failed.
  @NullEncodable public var subtask: Int? = nil
  /// The whole error as the job reported it.
  public var message: String
  /// Whether the job restarted after it (else it ended the job).
  public var restarted: Bool

  enum CodingKeys: String, CodingKey {
    case time, subtask, message, restarted
    case rootCause = "root_cause"
    case operatorName = "operator"
  }
}

/// The effective options of a job: the body of `GET /api/v1/config`.
public struct JobConfigurationStatus: Sendable, Codable, Equatable {
  /// The job's name.
  public var name: String
  /// Default parallelism.
  public var parallelism: Int
  /// Key groups (the most subtasks a keyed operator can have).
  public var maxParallelism: Int
  /// Records per batch between tasks.
  public var batchSize: Int
  /// Batches an input channel holds before its sender waits.
  public var channelCapacity: Int
  /// `heap` or `rocksdb`.
  public var stateBackend: String
  /// RocksDB's working directory, when set.
  @NullEncodable public var stateDirectory: String? = nil
  /// The restart strategy, e.g. `none` or `fixed-delay(attempts: 3, delay: 1 seconds)`.
  public var restartStrategy: String
  /// Checkpointing, or `nil` when off.
  @NullEncodable public var checkpointing: CheckpointingStatus? = nil

  enum CodingKeys: String, CodingKey {
    case name, parallelism, checkpointing
    case maxParallelism = "max_parallelism"
    case batchSize = "batch_size"
    case channelCapacity = "channel_capacity"
    case stateBackend = "state_backend"
    case stateDirectory = "state_directory"
    case restartStrategy = "restart_strategy"
  }
}

/// Checkpointing options of a job.
public struct CheckpointingStatus: Sendable, Codable, Equatable {
  /// The checkpoint directory.
  public var directory: String
  /// Interval between checkpoints in ms, or `nil` when periodic checkpoints are off.
  @NullEncodable public var intervalMs: Int64? = nil
  /// `EXACTLY_ONCE` or `AT_LEAST_ONCE`.
  public var mode: String
  /// A checkpoint taking longer is aborted.
  public var timeoutMs: Int64
  /// Least time between the end of one checkpoint and the start of the next.
  public var minPauseMs: Int64
  /// Checkpoints in progress at once.
  public var maxConcurrent: Int
  /// Completed checkpoints kept.
  public var retained: Int
  /// Failed checkpoints in a row tolerated before the job fails.
  public var tolerableFailures: Int

  enum CodingKeys: String, CodingKey {
    case directory, mode, retained
    case intervalMs = "interval_ms"
    case timeoutMs = "timeout_ms"
    case minPauseMs = "min_pause_ms"
    case maxConcurrent = "max_concurrent"
    case tolerableFailures = "tolerable_failures"
  }
}
