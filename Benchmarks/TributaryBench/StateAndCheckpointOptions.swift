import ArgumentParser
import Tributary

/// Checks the state and checkpoint options that `run` and `recover` share;
/// throws a `ValidationError` naming the option and what is allowed.
func validateStateAndCheckpointOptions(
  state: String, stateCacheMb: Int, checkpointInterval: String, mode: String
) throws {
  guard StateBackendConfiguration.Kind(rawValue: state) != nil else {
    throw ValidationError("unknown --state '\(state)'; use heap or rocksdb")
  }
  guard stateCacheMb >= 0 else { throw ValidationError("--state-cache-mb must not be negative") }
  guard Interval(parsing: checkpointInterval) != nil else {
    throw ValidationError("--checkpoint-interval must look like 100ms, 1s or off")
  }
  guard ["exactly-once", "at-least-once"].contains(mode) else {
    throw ValidationError("--mode must be exactly-once or at-least-once")
  }
}
