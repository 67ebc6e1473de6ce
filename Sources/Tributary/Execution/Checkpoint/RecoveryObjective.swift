/// A recovery-time objective: "after a crash, be back where the job was
/// within `objective`". With it the job chooses its checkpoint interval, and
/// keeps adjusting it, between `minimumInterval` and `maximumInterval`: the
/// longest interval whose predicted recovery time meets the objective (see
/// ``CheckpointIntervalController`` and docs/checkpoints.md).
///
/// Guarantees: `validate()` accepts exactly what the controller can honour
/// (a positive objective, bounds of at least 10 ms in order).
public struct RecoveryObjective: Sendable, Hashable {
  /// Failure to back where the job was (restart, restore, replay).
  public var objective: Duration
  /// The shortest interval chosen (default 100 ms).
  public var minimumInterval: Duration
  /// The longest interval chosen (default 60 s).
  public var maximumInterval: Duration

  /// An objective with bounds.
  public init(
    _ objective: Duration, minimumInterval: Duration = .milliseconds(100),
    maximumInterval: Duration = .seconds(60)
  ) {
    self.objective = objective
    self.minimumInterval = minimumInterval
    self.maximumInterval = maximumInterval
  }

  /// The controller settings for this objective.
  var controllerSettings: CheckpointIntervalController.Settings {
    CheckpointIntervalController.Settings(
      objectiveMillis: objective.milliseconds, minimumMillis: minimumInterval.milliseconds,
      maximumMillis: maximumInterval.milliseconds)
  }

  /// Throws ``CheckpointConfigurationError`` when the objective is not
  /// positive or the bounds are too short or inverted.
  public func validate() throws(CheckpointConfigurationError) {
    try controllerSettings.validate()
  }
}
