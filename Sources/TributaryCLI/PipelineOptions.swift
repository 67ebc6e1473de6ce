import ArgumentParser
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

  /// Records per batch between tasks.
  @Option(help: .hidden)
  public var batchSize: Int = 1024

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
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  /// The state backend these options select.
  public var stateBackendConfiguration: StateBackendConfiguration {
    let kind =
      stateBackend.flatMap(StateBackendConfiguration.Kind.init(rawValue:))
      ?? (stateDir == nil ? .heap : .rocksdb)
    return StateBackendConfiguration(
      kind: kind, directory: stateDir, cacheBytes: stateCacheMb << 20)
  }

  /// A job configuration with these options applied.
  public var jobConfiguration: JobConfiguration {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = batchSize
    config.stateBackend = stateBackendConfiguration
    return config
  }

  /// A fresh environment configured by these options.
  public func makeEnvironment() -> StreamEnvironment {
    StreamEnvironment(configuration: jobConfiguration)
  }
}
