import Synchronization

/// Where a pipeline is defined and from which it is executed.
///
/// Build the logical graph with sources (``generate(count:startingAt:ratePerSecond:name:_:)``,
/// ``fromCollection(_:name:)``, ``readTextFile(_:name:)``…) and the
/// ``DataStream`` operators, then call ``execute()``. Define a pipeline from one
/// task at a time; executing it is safe from any task.
public final class StreamEnvironment: Sendable {
  private struct Graph: ~Copyable {
    var nodes: [LogicalNode] = []
  }
  private let graph = Mutex(Graph())
  private let storedConfiguration: Mutex<JobConfiguration>

  /// The job's settings (parallelism, batching, …), read when ``execute()`` starts.
  public var configuration: JobConfiguration {
    get { storedConfiguration.withLock { $0 } }
    set { storedConfiguration.withLock { $0 = newValue } }
  }

  /// Creates an environment with the given settings.
  public init(configuration: JobConfiguration = JobConfiguration()) {
    storedConfiguration = Mutex(configuration)
  }

  /// Creates an environment for instance `instances.index` of a job run as
  /// `instances.count` processes (docs/scale-out.md); with
  /// ``InstanceSettings/single`` this is ``init(configuration:)``.
  public convenience init(configuration: JobConfiguration, instances: InstanceSettings) {
    var config = configuration
    config.instances = instances
    self.init(configuration: config)
  }

  /// Creates an environment with a default parallelism.
  public convenience init(parallelism: Int) {
    var config = JobConfiguration()
    config.parallelism = parallelism
    self.init(configuration: config)
  }

  /// The logical graph's nodes, in the order they were added.
  var nodes: [LogicalNode] { graph.withLock { $0.nodes } }

  /// Adds a node to the graph (engine use by the API types).
  @usableFromInline
  func addNode<In: Sendable, Out: Sendable>(
    name: String, inputs: [LogicalEdge], role: NodeRole<In, Out>,
    portMakers: [@Sendable (any AnyMailbox) -> AnyInputPort]? = nil
  ) -> TypedNode<In, Out> {
    graph.withLock { g in
      let node = TypedNode(
        id: g.nodes.count, name: name, inputs: inputs, role: role, portMakers: portMakers)
      g.nodes.append(node)
      return node
    }
  }

  /// The physical graph that ``execute()`` would run: one line per task,
  /// listing the chained operators, their parallelism and outgoing edges.
  /// For an instance of a scaled-out job (``JobConfiguration/instances``
  /// with more than one) it goes on with the stages (the plan cut at every
  /// hash edge), the key groups this instance owns, and the exchanges.
  /// - Throws: ``JobError/invalidPipeline(_:)`` if the pipeline cannot run,
  ///   ``InstanceSettingsError/moreInstancesThanKeyGroups(count:maxParallelism:)``.
  public func explain() throws -> String {
    let config = configuration
    try Self.checkInstances(config)
    let plan = try PhysicalPlan(nodes: graph.withLock { $0.nodes }, config: config)
    return plan.description(
      instances: config.instances, maxParallelism: config.maxParallelism)
  }

  private static func checkInstances(_ config: JobConfiguration) throws(InstanceSettingsError) {
    let instances = config.instances
    if instances.count > config.maxParallelism {
      throw .moreInstancesThanKeyGroups(
        count: instances.count, maxParallelism: config.maxParallelism)
    }
  }

  /// Runs the pipeline.
  ///
  /// For bounded sources, returns once every record reached the sinks and
  /// every sink finished (flushed). Unbounded pipelines run until the calling
  /// task is cancelled (then `CancellationError` is thrown after every task
  /// stopped and every sink was closed).
  /// - Throws: ``JobError/operatorFailed(operatorName:subtask:underlying:)``
  ///   when a function, source or sink throws (every other task is stopped
  ///   first), ``JobError/invalidPipeline(_:)`` for an impossible graph,
  ///   ``CheckpointStorageError/directoryInUse(directory:holder:holderPID:)``
  ///   when another process (or job) holds the checkpoint directory: a job
  ///   holds its directory's ``CheckpointDirectoryLock`` from start to end;
  ///   ``InstanceSettingsError/multiInstanceExecutionNotAvailable(count:)`` for
  ///   an instance of a job run as several (not built yet: nothing runs).
  @discardableResult
  public func execute() async throws -> JobResult {
    let nodes = graph.withLock { $0.nodes }
    guard nodes.contains(where: \.isSink) else {
      throw JobError.invalidPipeline(
        "the pipeline has no sink; add one with sink(…), print() or collect()")
    }
    var config = configuration
    config.logger[metadataKey: "job"] = "\(config.jobName)"
    if config.checkpointing?.recoveryObjective != nil, config.monitor == nil {
      // The adaptive interval reads input and busy rates from the monitor.
      config.monitor = JobMonitor()
    }
    try Self.checkInstances(config)
    var plan = try PhysicalPlan(nodes: nodes, config: config)
    if !config.instances.isSingle {
      guard config.checkpointing != nil else {
        throw InstanceSettingsError.checkpointsRequired(count: config.instances.count)
      }
      plan = try cutAtExchanges(plan, config: config)
    }
    let monitor = config.monitor
    monitor?.jobStarted(plan: plan, config: config)
    do {
      let result = try await run(plan: plan, config: config)
      monitor?.jobEnded(.finished)
      config.logger.info("job finished", metadata: ["duration": "\(result.duration)"])
      return result
    } catch is CancellationError {
      monitor?.jobEnded(.canceled)
      config.logger.info("job cancelled")
      throw CancellationError()
    } catch {
      monitor?.jobEnded(.failed, error: error)
      config.logger.error("job failed", metadata: ["error": "\(error)"])
      throw error
    }
  }

  /// Runs `plan`, restarting from the latest checkpoint as the restart strategy allows.
  /// The checkpoint directory is locked for the whole job, restarts included.
  private func run(plan: PhysicalPlan, config: JobConfiguration) async throws -> JobResult {
    var config = config
    var restarts = 0
    let adaptive = try config.checkpointing.flatMap { checkpointing in
      try checkpointing.recoveryObjective.map {
        try AdaptiveCheckpointInterval(
          objective: $0, initialMillis: checkpointing.settings.intervalMillis,
          restartDelay: config.restartStrategy.delay(beforeRestart: 1))
      }
    }
    if let objective = config.checkpointing?.recoveryObjective,
      config.checkpointing?.settings.intervalMillis == nil
    {
      config.checkpointing?.settings.intervalMillis = objective.minimumInterval.milliseconds
    }
    var lock: CheckpointDirectoryLock?
    if let directory = config.checkpointing?.directory {
      lock = try await Self.lockCheckpointDirectory(directory, instances: config.instances)
    }
    defer { lock?.release() }
    while true {
      let startedAt = config.runtimeClock.now()
      if !config.instances.isSingle, let lock {
        // Every run of an instance publishes as a newer generation.
        config.generation = try lock.nextGeneration()
      }
      let checkpoints = try config.checkpointing.map {
        try JobCheckpointSetup.prepare(
          $0, plan: plan, maxParallelism: config.maxParallelism, clock: config.runtimeClock,
          logger: config.logger, monitor: config.monitor, adaptive: adaptive)
      }
      do {
        config.monitor?.runStarted()
        return try await JobExecution(
          plan: plan, config: config, checkpoints: checkpoints, startedAt: startedAt
        ).run()
      } catch let error as JobError {
        // Restart from the latest complete checkpoint, if the strategy allows.
        guard case .operatorFailed = error, var checkpointing = config.checkpointing,
          let delay = config.restartStrategy.delay(beforeRestart: restarts + 1)
        else { throw error }
        restarts += 1
        checkpointing.fresh = false
        checkpointing.restorePath = nil
        config.logger.warning(
          "restart after failure",
          metadata: [
            "restart": "\(restarts)", "error": "\(error)", "delay": "\(delay)",
          ])
        config.monitor?.restarting(after: error)
        config.checkpointing = checkpointing
        try await config.runtimeClock.sleep(for: delay)
      }
    }
  }

  /// Locks the checkpoint directory. An instance of a scaled-out job holds its
  /// lease already: a process it took over from must stop within one lease
  /// period, so the lock is waited for up to two periods before the refusal.
  private static func lockCheckpointDirectory(_ directory: String, instances: InstanceSettings)
    async throws -> CheckpointDirectoryLock
  {
    guard !instances.isSingle else { return try CheckpointDirectoryLock(directory: directory) }
    let deadline = ContinuousClock.now + instances.leasePeriod * 2
    while true {
      do {
        return try CheckpointDirectoryLock(directory: directory)
      } catch {
        guard case .directoryInUse = error,
          ContinuousClock.now < deadline
        else { throw error }
      }
      try await Task.sleep(for: .milliseconds(100))
    }
  }
}
