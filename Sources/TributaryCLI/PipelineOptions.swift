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

  /// Records per batch between tasks.
  @Option(help: .hidden)
  public var batchSize: Int = 1024

  public init() {}

  public func validate() throws {
    guard (1...KeyGroups.defaultMaxParallelism).contains(parallelism) else {
      throw ValidationError(
        "--parallelism must be between 1 and \(KeyGroups.defaultMaxParallelism), got \(parallelism)")
    }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  /// A job configuration with these options applied.
  public var jobConfiguration: JobConfiguration {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = batchSize
    return config
  }

  /// A fresh environment configured by these options.
  public func makeEnvironment() -> StreamEnvironment {
    StreamEnvironment(configuration: jobConfiguration)
  }
}
