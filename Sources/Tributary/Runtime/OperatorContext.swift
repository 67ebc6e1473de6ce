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

  /// The key groups this subtask owns when it runs a keyed operator.
  public var keyGroupRange: Range<Int> {
    KeyGroups.range(
      subtask: subtaskIndex, parallelism: parallelism, maxParallelism: maxParallelism)
  }

  /// Creates a context (engine use, and tests of operators).
  public init(
    operatorName: String, subtaskIndex: Int, parallelism: Int, maxParallelism: Int,
    stateBackend: StateBackendConfiguration = .heap,
    processingClock: any ProcessingClock = SystemProcessingClock()
  ) {
    self.operatorName = operatorName
    self.subtaskIndex = subtaskIndex
    self.parallelism = parallelism
    self.maxParallelism = maxParallelism
    self.stateBackend = stateBackend
    self.processingClock = processingClock
  }
}
