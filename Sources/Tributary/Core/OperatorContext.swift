import CoreMetrics
import Logging

/// Where an operator instance runs: its name and its place among the subtasks.
public struct OperatorContext: Sendable {
  /// The operator's name (as given with `name(_:)`, or its default).
  public let operatorName: String
  /// This subtask's index, `0..<parallelism`.
  public let subtaskIndex: Int
  /// How many subtasks run this operator.
  public let parallelism: Int
  /// The number of key groups of the job.
  public let maxParallelism: Int
  /// Where keyed state is kept.
  public let stateBackend: StateBackendConfiguration
  /// The processing-time clock (state time-to-live, timers).
  public let processingClock: any ProcessingClock
  /// A name of the operator that is the same in every run of the same pipeline
  /// (its position in the graph and its name): the key of its checkpointed state.
  public let operatorID: String
  /// State restored from a checkpoint: for keyed operators the snapshots of
  /// every former subtask (restore keeps the owned key groups), for others
  /// the snapshot of the same subtask. Empty when starting fresh.
  public let restoredState: [[UInt8]]
  /// The operator's side outputs (consumed with `sideOutput(_:)`), or `nil`
  /// when none is consumed; ``Collector/emit(_:to:)`` writes into them.
  public let sideOutputs: SideOutputs?
  /// Where the operator logs: the job's logger with metadata `operator` and `subtask`.
  public let logger: Logger
  /// Where the operator registers its own metrics (connectors: lag, errors):
  /// the job monitor's factory, or a no-op one when the job is not monitored.
  public let metricsFactory: any MetricsFactory
  /// The job's name (``JobConfiguration/jobName``).
  public let jobName: String
  /// This process's instance of a scaled-out job, `0..<instances` (docs/scale-out.md).
  public let instance: Int
  /// How many instances the job runs as (1: a single process).
  public let instances: Int
  /// This run's generation: greater than every earlier run's of the same
  /// instance (restarts included) when the job checkpoints and runs as several
  /// instances; 0 otherwise. The exchange tags what a run publishes with it.
  public let generation: UInt64
  /// The id of the checkpoint this run resumed from (0: from scratch).
  public let restoredCheckpointID: Int64
  /// Where keyed state backends publish how to rehearse their operator's
  /// restore, when the job measures restores that way (an adaptive
  /// checkpoint interval); `nil` otherwise.
  var restoreRehearsals: (any RestoreRehearsalSink)?

  /// The labels of this operator's metrics: `job`, `operator` and `subtask`,
  /// as the engine's own metrics carry them.
  public var metricDimensions: [(String, String)] {
    [("job", jobName), ("operator", operatorName), ("subtask", String(subtaskIndex))]
  }

  /// The key groups this subtask owns when it runs a keyed operator.
  public var keyGroupRange: Range<Int> {
    KeyGroups.range(
      subtask: subtaskIndex, parallelism: parallelism, instance: instance, instances: instances,
      maxParallelism: maxParallelism)
  }

  /// Creates a context (engine use, and tests of operators).
  public init(
    operatorName: String, subtaskIndex: Int, parallelism: Int, maxParallelism: Int,
    stateBackend: StateBackendConfiguration = .heap,
    processingClock: any ProcessingClock = SystemProcessingClock(),
    operatorID: String? = nil, restoredState: [[UInt8]] = [], sideOutputs: SideOutputs? = nil,
    logger: Logger = Logger(label: "tributary"),
    metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance, jobName: String = "job",
    instance: Int = 0, instances: Int = 1, generation: UInt64 = 0, restoredCheckpointID: Int64 = 0
  ) {
    precondition(instances >= 1 && (0..<instances).contains(instance))
    self.jobName = jobName
    self.instance = instance
    self.instances = instances
    self.generation = generation
    self.restoredCheckpointID = restoredCheckpointID
    var logger = logger
    logger[metadataKey: "operator"] = "\(operatorName)"
    logger[metadataKey: "subtask"] = "\(subtaskIndex)"
    self.logger = logger
    self.metricsFactory = metricsFactory
    self.sideOutputs = sideOutputs
    self.operatorID = operatorID ?? operatorName
    self.restoredState = restoredState
    self.operatorName = operatorName
    self.subtaskIndex = subtaskIndex
    self.parallelism = parallelism
    self.maxParallelism = maxParallelism
    self.stateBackend = stateBackend
    self.processingClock = processingClock
  }

  /// This context with `restoredState` in place of its own (an operator that
  /// stores several parts in one snapshot hands each part on).
  public func replacingRestoredState(_ restoredState: [[UInt8]]) -> OperatorContext {
    var context = OperatorContext(
      operatorName: operatorName, subtaskIndex: subtaskIndex, parallelism: parallelism,
      maxParallelism: maxParallelism, stateBackend: stateBackend,
      processingClock: processingClock, operatorID: operatorID, restoredState: restoredState,
      sideOutputs: sideOutputs, logger: logger, metricsFactory: metricsFactory, jobName: jobName,
      instance: instance, instances: instances, generation: generation,
      restoredCheckpointID: restoredCheckpointID)
    context.restoreRehearsals = restoreRehearsals
    return context
  }
}

/// Where keyed state backends publish how to rehearse their operator's
/// restore (``OperatorContext``'s `restoreRehearsals`). Declared here, below
/// the state floor, so that the context can carry it; the one implementation,
/// `RestoreRehearsals`, lives with the state backends. Thread-safe.
protocol RestoreRehearsalSink: AnyObject, Sendable {}
