import ArgumentParser
import Foundation
import Tributary

/// Options every pipeline executable accepts.
///
/// Use with `@OptionGroup var pipeline: PipelineOptions` in a command, then
/// ``makeEnvironment()``. Invalid values are rejected with a message saying
/// what is allowed.
public struct PipelineOptions: ParsableArguments, Sendable {
  /// Default parallelism of every operator.
  @Option(help: "Parallel subtasks per operator (1...128).")
  public var parallelism: Int = 1

  /// The keyed-state backend; `nil` means rocksdb with --state-dir, else heap.
  @Option(
    help: ArgumentHelp(
      "Keyed-state backend: heap or rocksdb (default: rocksdb when --state-dir is given, "
        + "else heap).", valueName: "backend"))
  public var stateBackend: String?

  /// Where RocksDB keeps its working files.
  @Option(help: "Directory for RocksDB state files (default: the temporary directory).")
  public var stateDir: String?

  /// RocksDB write-back cache size per keyed subtask.
  @Option(help: "RocksDB write-back cache per keyed subtask, in MiB (0 turns it off).")
  public var stateCacheMb: Int = 64

  /// The format of RocksDB state in checkpoints.
  @Option(
    help: ArgumentHelp(
      "RocksDB state in checkpoints: portable (every entry; the default), automatic "
        + "(incremental native snapshots for large state) or incremental (always native).",
      valueName: "format"))
  public var rocksdbSnapshots: String = "portable"

  /// Where checkpoints are written and resumed from.
  @Option(help: "Checkpoint directory; a complete checkpoint there is resumed from.")
  public var checkpointDir: String?

  /// How often to checkpoint.
  @Option(
    help: "Checkpoint interval, e.g. 200ms, 1s, 10s, or off (default 1s with --checkpoint-dir).")
  public var checkpointInterval: String = "1s"

  /// Exactly-once (aligned barriers) or at-least-once.
  @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
  public var mode: String = "exactly-once"

  /// Start from scratch even if the checkpoint directory holds checkpoints.
  @Flag(help: "Ignore existing checkpoints in --checkpoint-dir and start from scratch.")
  public var fresh = false

  /// Restarts after a failure inside the process.
  @Option(help: "Restarts from the latest checkpoint after a failure (0 = fail at once).")
  public var restartAttempts: Int = 0

  /// Wait before each restart.
  @Option(
    help: "Wait before each restart, e.g. 500ms, 2s (doubles each time with --restart-backoff).")
  public var restartDelay: String = "1s"

  /// Exponential backoff between restarts.
  @Flag(help: "Double the wait before each further restart (at most 1 minute).")
  public var restartBackoff = false

  /// Checkpoint timeout.
  @Option(help: "Abort a checkpoint that takes longer than this, e.g. 30s, 10m.")
  public var checkpointTimeout: String = "10m"

  /// A checkpoint or savepoint directory to start from.
  @Option(help: "Start from this checkpoint or savepoint directory (chk-N or savepoints/sp-N).")
  public var restoreFrom: String?

  /// Records per batch between tasks.
  @Option(help: .hidden)
  public var batchSize: Int = 4096

  public init() {}

  public func validate() throws {
    guard (1...KeyGroups.defaultMaxParallelism).contains(parallelism) else {
      throw ValidationError(
        "--parallelism must be between 1 and \(KeyGroups.defaultMaxParallelism), got \(parallelism)"
      )
    }
    if let stateBackend, StateBackendConfiguration.Kind(rawValue: stateBackend) == nil {
      throw ValidationError("--state-backend must be heap or rocksdb, got '\(stateBackend)'")
    }
    guard stateCacheMb >= 0 else {
      throw ValidationError("--state-cache-mb must not be negative, got \(stateCacheMb)")
    }
    guard StateBackendConfiguration.RocksDBSnapshots(rawValue: rocksdbSnapshots) != nil else {
      throw ValidationError(
        "--rocksdb-snapshots must be automatic, incremental or portable, got '\(rocksdbSnapshots)'")
    }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    if Interval(parsing: checkpointInterval) == nil {
      throw ValidationError(
        "--checkpoint-interval must look like 200ms, 1s, 10s or off, got '\(checkpointInterval)'")
    }
    guard restartAttempts >= 0 else {
      throw ValidationError("--restart-attempts must not be negative")
    }
    guard Interval(parsing: restartDelay)?.millisecondsValue != nil else {
      throw ValidationError("--restart-delay must look like 500ms or 2s, got '\(restartDelay)'")
    }
    guard let timeout = Interval(parsing: checkpointTimeout)?.millisecondsValue, timeout >= 10
    else {
      throw ValidationError(
        "--checkpoint-timeout must look like 30s or 10m (at least 10ms), got '\(checkpointTimeout)'"
      )
    }
    if restartAttempts > 0 && checkpointDir == nil {
      throw ValidationError("--restart-attempts needs --checkpoint-dir to restart from")
    }
    if restoreFrom != nil && checkpointDir == nil {
      throw ValidationError("--restore-from needs --checkpoint-dir for the checkpoints that follow")
    }
    guard ["exactly-once", "at-least-once"].contains(mode) else {
      throw ValidationError("--mode must be exactly-once or at-least-once, got '\(mode)'")
    }
  }

  /// The checkpoint interval in milliseconds; `nil` for `off` (validated by `validate()`).
  public var checkpointIntervalMillis: Int64? {
    Interval(parsing: checkpointInterval)?.millisecondsValue
  }

  /// Checkpointing as these options say (`nil` without --checkpoint-dir).
  public func checkpointingConfiguration(log: @escaping @Sendable (String) -> Void)
    -> CheckpointingConfiguration?
  {
    guard let checkpointDir else { return nil }
    let settings = CheckpointSettings(
      intervalMillis: checkpointIntervalMillis,
      mode: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce,
      timeoutMillis: Interval(parsing: checkpointTimeout)?.millisecondsValue ?? 600_000)
    return CheckpointingConfiguration(
      directory: checkpointDir, settings: settings, fresh: fresh, restorePath: restoreFrom,
      savepoints: SavepointSignals.shared.control, log: log)
  }

  /// The state backend these options select.
  public var stateBackendConfiguration: StateBackendConfiguration {
    let kind =
      stateBackend.flatMap(StateBackendConfiguration.Kind.init(rawValue:))
      ?? (stateDir == nil ? .heap : .rocksdb)
    var configuration = StateBackendConfiguration(
      kind: kind, directory: stateDir, cacheBytes: stateCacheMb << 20)
    configuration.rocksDBSnapshots =
      StateBackendConfiguration.RocksDBSnapshots(rawValue: rocksdbSnapshots) ?? .portable
    return configuration
  }

  /// A job configuration with these options applied.
  public var jobConfiguration: JobConfiguration {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = batchSize
    config.stateBackend = stateBackendConfiguration
    config.restartStrategy = restartStrategy
    return config
  }

  /// The restart strategy these options select.
  public var restartStrategy: RestartStrategy {
    guard restartAttempts > 0 else { return .none }
    let delay = Duration.milliseconds(
      Interval(parsing: restartDelay)?.millisecondsValue ?? 1_000)
    return restartBackoff
      ? .exponentialBackoff(initial: delay, maximum: .seconds(60), attempts: restartAttempts)
      : .fixedDelay(attempts: restartAttempts, delay: delay)
  }

  /// A fresh environment configured by these options; checkpointing progress
  /// ("resuming from checkpoint 7") goes to `log` (by default to standard
  /// output, written unbuffered line by line so that a process killed with `kill -9`
  /// has shown everything it logged).
  public func makeEnvironment(
    log: @escaping @Sendable (String) -> Void = { message in
      FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }
  )
    -> StreamEnvironment
  {
    var config = jobConfiguration
    config.checkpointing = checkpointingConfiguration(log: log)
    return StreamEnvironment(configuration: config)
  }
}
