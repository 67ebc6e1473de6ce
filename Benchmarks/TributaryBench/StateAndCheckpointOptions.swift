import ArgumentParser
import Tributary

/// Checks the state and checkpoint options that `run` and `recover` share;
/// throws a `ValidationError` naming the option and what is allowed.
/// Commands without `--recovery-objective` (`nexmark`, `jetstream`) pass no
/// `recovery`: an unparsed `RecoveryObjectiveOptions()` cannot be read (the
/// argument parser exits on the first property access).
func validateStateAndCheckpointOptions(
  state: String, stateCacheMb: Int, checkpointInterval: String, mode: String,
  recovery: RecoveryObjectiveOptions? = nil
) throws {
  guard StateBackendConfiguration.Kind(rawValue: state) != nil else {
    throw ValidationError("unknown --state '\(state)'; use heap or rocksdb")
  }
  guard stateCacheMb >= 0 else { throw ValidationError("--state-cache-mb must not be negative") }
  if checkpointInterval == "auto" {
    guard let recovery, recovery.recoveryObjective != nil else {
      throw ValidationError("--checkpoint-interval auto needs --recovery-objective, e.g. 2s")
    }
    _ = try recovery.objective()
  } else if Interval(parsing: checkpointInterval) == nil {
    throw ValidationError("--checkpoint-interval must look like 100ms, 1s, off or auto")
  } else if recovery?.recoveryObjective != nil {
    throw ValidationError("--recovery-objective needs --checkpoint-interval auto")
  }
  guard ["exactly-once", "at-least-once"].contains(mode) else {
    throw ValidationError("--mode must be exactly-once or at-least-once")
  }
}

/// `--recovery-objective` and the interval bounds of `--checkpoint-interval auto`.
struct RecoveryObjectiveOptions: ParsableArguments {
  @Option(help: "With --checkpoint-interval auto: the recovery-time objective, e.g. 2s.")
  var recoveryObjective: String?

  @Option(help: "The shortest interval --checkpoint-interval auto chooses.")
  var checkpointMinInterval: String = "100ms"

  @Option(help: "The longest interval --checkpoint-interval auto chooses.")
  var checkpointMaxInterval: String = "60s"

  /// The objective, or `nil` without `--recovery-objective`.
  func objective() throws -> RecoveryObjective? {
    guard let recoveryObjective else { return nil }
    do {
      return try RecoveryObjective(
        parsing: recoveryObjective, minimum: checkpointMinInterval,
        maximum: checkpointMaxInterval)
    } catch { throw ValidationError("\(error)") }
  }

  /// Checkpointing into `directory` at `interval` (`auto`: chosen from the objective).
  func checkpointing(
    interval: String, mode: String, directory: String, savepoints: SavepointControl? = nil
  ) -> CheckpointingConfiguration? {
    let objective = interval == "auto" ? try? self.objective() : nil
    // With `auto` no first interval: the job starts at the controller's safe
    // start (a quarter of 80 % of the objective), not at the minimum.
    let millis = objective == nil ? Interval(parsing: interval)?.millisecondsValue : nil
    guard objective != nil || millis != nil || savepoints != nil else { return nil }
    return CheckpointingConfiguration(
      directory: directory,
      settings: CheckpointSettings(
        intervalMillis: millis, mode: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce),
      fresh: true, savepoints: savepoints, recoveryObjective: objective)
  }
}
