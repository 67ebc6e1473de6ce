/// Why a job failed. Each case says where, and what to do.
public enum JobError: Error, CustomStringConvertible {
  /// A user function, source or sink threw.
  case operatorFailed(operatorName: String, subtask: Int, underlying: any Error)
  /// The pipeline cannot run as defined.
  case invalidPipeline(String)
  /// Checkpoints failed more often in a row than tolerated.
  case checkpointingFailed(String)

  public var description: String {
    switch self {
    case .operatorFailed(let name, let subtask, let underlying):
      return "operator '\(name)' (subtask \(subtask)) failed: \(underlying)"
    case .invalidPipeline(let reason):
      return "invalid pipeline: \(reason)"
    case .checkpointingFailed(let reason):
      return "\(reason); check the checkpoint directory's free space and permissions, or "
        + "raise the tolerable checkpoint failures"
    }
  }

  /// The error the failing operator threw, if this is an operator failure.
  public var underlyingError: (any Error)? {
    if case .operatorFailed(_, _, let underlying) = self { return underlying }
    return nil
  }
}
