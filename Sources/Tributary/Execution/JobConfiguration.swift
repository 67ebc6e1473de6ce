import Logging

/// Settings of one job; every field has a default that suits a laptop.
public struct JobConfiguration: Sendable {
  /// Default parallelism of every operator that does not set its own.
  public var parallelism: Int = 1
  /// Number of key groups; the upper bound on any operator's parallelism.
  public var maxParallelism: Int = KeyGroups.defaultMaxParallelism
  /// Records per batch between tasks.
  public var batchSize: Int = 4096
  /// A partly filled batch is sent at the latest after this long.
  public var flushTimeout: Duration = .milliseconds(5)
  /// Batches queued per input channel before the sender suspends.
  public var channelCapacity: Int = 8
  /// How often tasks act on processing time (timers, periodic watermarks,
  /// idleness) when they are not busy anyway.
  public var tickInterval: Duration = .milliseconds(10)
  /// Checkpointing (off when `nil`).
  public var checkpointing: CheckpointingConfiguration?
  /// What to do when a task fails (restarts need checkpointing).
  public var restartStrategy: RestartStrategy = .none
  /// Whether forward edges of equal parallelism are fused into one task.
  public var chaining: Bool = true
  /// Where keyed state is kept (default: heap).
  public var stateBackend: StateBackendConfiguration = .heap
  /// The processing-time clock (state time-to-live, timers); injectable for tests.
  public var processingClock: any ProcessingClock = SystemProcessingClock()
  /// The runtime's monotonic clock (flush timeouts, ticks, rate limits,
  /// checkpoint intervals and timeouts, restart delays, statistics);
  /// a ``ManualRuntimeClock`` lets tests drive all of them.
  public var runtimeClock: any RuntimeClock = SystemRuntimeClock()

  /// Which instance of a scaled-out job this process runs (docs/scale-out.md);
  /// ``InstanceSettings/single`` (the default): the whole job runs here.
  public var instances: InstanceSettings = .single
  /// The current run's generation (``OperatorContext/generation``), set by
  /// `execute()` before each run of a scaled-out job.
  var generation: UInt64 = 0
  /// Carries records across the instances of a scaled-out job; required when
  /// ``instances`` has more than one (TributaryNATS provides JetStream's).
  public var exchangeTransport: (any ExchangeTransport)?

  /// The job's name (in logs, metrics and the REST API).
  public var jobName: String = "job"
  /// Where the engine logs (restores, skipped checkpoints, savepoints,
  /// restarts, failures), with metadata `job`, `operator`, `subtask` and
  /// `checkpoint`; operators and connectors get it in their
  /// ``OperatorContext``. By default the `tributary` logger of whatever
  /// `LoggingSystem.bootstrap` installed.
  public var logger = Logger(label: "tributary")
  /// Watches the running job (counters, rates, checkpoints) and registers the
  /// engine's metrics; `nil` (the default): nothing is counted.
  public var monitor: JobMonitor?

  /// The defaults.
  public init() {}
}
