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

  /// The labels of this operator's metrics: `job`, `operator` and `subtask`,
  /// as the engine's own metrics carry them.
  public var metricDimensions: [(String, String)] {
    [("job", jobName), ("operator", operatorName), ("subtask", String(subtaskIndex))]
  }

  /// The key groups this subtask owns when it runs a keyed operator.
  public var keyGroupRange: Range<Int> {
    KeyGroups.range(
      subtask: subtaskIndex, parallelism: parallelism, maxParallelism: maxParallelism)
  }

  /// Creates a context (engine use, and tests of operators).
  public init(
    operatorName: String, subtaskIndex: Int, parallelism: Int, maxParallelism: Int,
    stateBackend: StateBackendConfiguration = .heap,
    processingClock: any ProcessingClock = SystemProcessingClock(),
    operatorID: String? = nil, restoredState: [[UInt8]] = [], sideOutputs: SideOutputs? = nil,
    logger: Logger = Logger(label: "tributary"),
    metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance, jobName: String = "job"
  ) {
    self.jobName = jobName
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
    OperatorContext(
      operatorName: operatorName, subtaskIndex: subtaskIndex, parallelism: parallelism,
      maxParallelism: maxParallelism, stateBackend: stateBackend,
      processingClock: processingClock, operatorID: operatorID, restoredState: restoredState,
      sideOutputs: sideOutputs, logger: logger, metricsFactory: metricsFactory, jobName: jobName)
  }
}
