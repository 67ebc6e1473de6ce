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
    operatorID: String? = nil, restoredState: [[UInt8]] = [], sideOutputs: SideOutputs? = nil
  ) {
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
}
