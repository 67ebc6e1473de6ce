/// One subtask of the physical graph, as the checkpoint protocol names it.
///
/// Guarantees: two ids are equal exactly when operator name and subtask index
/// are equal; hashing is only used for in-memory sets and dictionaries (never
/// persisted), so Swift's seeded `Hasher` is fine here.
public struct TaskID: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The (chained) operator's name, unique within the job.
  public var operatorName: String
  /// The subtask index, `0..<parallelism`.
  public var subtask: Int

  /// Creates the id of subtask `subtask` of operator `operatorName`.
  public init(_ operatorName: String, subtask: Int) {
    self.operatorName = operatorName
    self.subtask = subtask
  }

  /// Orders by operator name, then subtask: a stable order for messages and
  /// for deterministic action lists.
  public static func < (lhs: TaskID, rhs: TaskID) -> Bool {
    (lhs.operatorName, lhs.subtask) < (rhs.operatorName, rhs.subtask)
  }

  /// `name[subtask]`, e.g. `window[3]`.
  public var description: String { "\(operatorName)[\(subtask)]" }
}
