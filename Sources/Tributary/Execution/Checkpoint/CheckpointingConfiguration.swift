/// How (and whether) a job checkpoints, and where it restores from.
public struct CheckpointingConfiguration: Sendable {
  /// The checkpoint directory.
  public var directory: String
  /// Interval, mode, timeout, retention and failure tolerance.
  public var settings: CheckpointSettings
  /// Ignore existing checkpoints and start from scratch.
  public var fresh: Bool
  /// Restore from this checkpoint or savepoint directory instead of the latest in `directory`.
  public var restorePath: String?
  /// Savepoint requests for the running job, if any.
  public var savepoints: SavepointControl?
  /// With an objective, the job chooses and keeps adjusting its checkpoint
  /// interval (`settings.intervalMillis` is then only the first interval;
  /// `nil` starts at ``CheckpointIntervalController/Settings/safeStartMillis``,
  /// a quarter of 80 % of the objective); see ``RecoveryObjective``.
  public var recoveryObjective: RecoveryObjective?

  /// Checkpoints into `directory` with `settings`.
  public init(
    directory: String, settings: CheckpointSettings = CheckpointSettings(intervalMillis: 1_000),
    fresh: Bool = false, restorePath: String? = nil, savepoints: SavepointControl? = nil,
    recoveryObjective: RecoveryObjective? = nil
  ) {
    self.savepoints = savepoints
    self.recoveryObjective = recoveryObjective
    self.directory = directory
    self.settings = settings
    self.fresh = fresh
    self.restorePath = restorePath
  }
}

/// Why checkpointing could not start.
public enum CheckpointingError: Error, CustomStringConvertible {
  /// The checkpoint directory holds checkpoints, but none can be used.
  case noUsableCheckpoint(String)
  /// The restored checkpoint does not fit this pipeline.
  case incompatible(String)

  public var description: String {
    switch self {
    case .noUsableCheckpoint(let reason):
      return "\(reason) (or start from scratch with --fresh; the old checkpoints are kept)"
    case .incompatible(let reason):
      return "cannot restore: \(reason); use --fresh to start from scratch"
    }
  }
}
