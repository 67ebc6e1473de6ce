import ArgumentParser
import Foundation
import Logging
import Tributary
import TributaryNATS
import TributaryWeb

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
    help:
      "Checkpoint interval, e.g. 200ms, 1s, 10s, off, or auto (chosen from --recovery-objective; default 1s with --checkpoint-dir)."
  )
  public var checkpointInterval: String = "1s"

  /// The recovery-time objective for `--checkpoint-interval auto`.
  @Option(
    help:
      "With --checkpoint-interval auto: after a crash, be back where the job was within this long, e.g. 2s."
  )
  public var recoveryObjective: String?

  /// The shortest interval `auto` chooses.
  @Option(help: "The shortest interval --checkpoint-interval auto chooses.")
  public var checkpointMinInterval: String = "100ms"

  /// The longest interval `auto` chooses.
  @Option(help: "The longest interval --checkpoint-interval auto chooses.")
  public var checkpointMaxInterval: String = "60s"

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

  /// The lowest level of log messages printed.
  @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
  public var logLevel: String = "info"

  /// Serve the dashboard, the REST API and /metrics on this port.
  @Option(
    help: ArgumentHelp(
      "Serve the dashboard, REST API and Prometheus metrics on this port (0 picks a free one).",
      valueName: "port"))
  public var webPort: Int?

  /// The address the web server binds.
  @Option(help: "Address the web server listens on (0.0.0.0 for every interface).")
  public var webHost: String = "127.0.0.1"

  /// Keep serving after the job ended, until SIGINT/SIGTERM.
  @Flag(
    help: "With --web-port: keep serving the final state after the job ended, until SIGINT/SIGTERM."
  )
  public var webKeepAlive = false

  /// How log lines are written.
  @Option(help: "Log format: text (readable lines) or json (one JSON object per line).")
  public var logFormat: String = "text"

  /// How many processes (instances) run the job; `nil`: `TRIBUTARY_INSTANCES`, else 1.
  @Option(
    help: ArgumentHelp(
      "Run the job as N processes (instances) exchanging records through NATS JetStream "
        + "(default: $TRIBUTARY_INSTANCES, else 1).", valueName: "N"))
  public var instances: Int?

  /// This process's instance; `nil`: `TRIBUTARY_INSTANCE`, else 0.
  @Option(
    help: ArgumentHelp(
      "This process's instance: 0..<N, or auto for the -I ending of the host name (a "
        + "StatefulSet's pods) (default: $TRIBUTARY_INSTANCE, else 0).", valueName: "I"))
  public var instance: String?

  /// The NATS server the instances exchange records through.
  @Option(
    help: ArgumentHelp(
      "NATS JetStream server of the exchange between instances (needed with --instances "
        + "above 1).", valueName: "nats://HOST:PORT"))
  public var exchangeUrl: String?

  /// The job's name on the exchange, shared by all its instances.
  @Option(
    help: ArgumentHelp(
      "The job's name on the exchange, the same for all its instances (letters, digits, - "
        + "and _; needed with --instances above 1).", valueName: "NAME"))
  public var jobName: String?

  /// How long an instance's lease lasts without renewal.
  @Option(help: "How long an instance's lease lasts unrenewed before another may take over.")
  public var leasePeriod: String = "10s"

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
    if checkpointInterval == "auto" {
      _ = try recoveryObjectiveSetting()
    } else if Interval(parsing: checkpointInterval) == nil {
      throw ValidationError(
        "--checkpoint-interval must look like 200ms, 1s, 10s, off or auto, got '\(checkpointInterval)'"
      )
    } else if recoveryObjective != nil {
      throw ValidationError(
        "--recovery-objective needs --checkpoint-interval auto (the job then picks the interval)")
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
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level must be trace, debug, info, notice, warning, error or critical, "
          + "got '\(logLevel)'")
    }
    if let webPort, !(0...65_535).contains(webPort) {
      throw ValidationError("--web-port must be between 0 and 65535, got \(webPort)")
    }
    guard !webHost.isEmpty else { throw ValidationError("--web-host must not be empty") }
    guard ["text", "json"].contains(logFormat) else {
      throw ValidationError("--log-format must be text or json, got '\(logFormat)'")
    }
    let settings: InstanceSettings
    do {
      settings = try instanceSettings()
    } catch {
      throw ValidationError("\(error)")
    }
    if !settings.isSingle && checkpointDir == nil {
      throw ValidationError("\(InstanceSettingsError.checkpointsRequired(count: settings.count))")
    }
  }

  /// The instance settings of `--instances`, `--instance`, `--exchange-url`,
  /// `--job-name` and `--lease-period`, an option missing on the command line
  /// taken from `environment` (`TRIBUTARY_INSTANCES`, `TRIBUTARY_INSTANCE`)
  /// and `--instance auto` from `hostname`'s `-I` ending. Pure: tests pass
  /// their own environment and host name.
  /// - Throws: ``InstanceSettingsError`` saying which value is wrong.
  public func instanceSettings(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    hostname: @autoclosure () -> String = ProcessInfo.processInfo.hostName
  ) throws(InstanceSettingsError) -> InstanceSettings {
    let countText = instances.map(String.init) ?? environment["TRIBUTARY_INSTANCES"] ?? "1"
    guard let count = Int(countText) else { throw .invalidCount(countText) }
    let indexText = instance ?? environment["TRIBUTARY_INSTANCE"] ?? "0"
    let index: Int
    if indexText == "auto" {
      // Looked up only here: resolving the host name may be slow.
      let host = hostname()
      guard let parsed = InstanceSettings.index(fromHostname: host) else {
        throw .hostnameWithoutIndex(host)
      }
      index = parsed
    } else {
      guard let parsed = Int(indexText) else { throw .invalidIndex(indexText) }
      index = parsed
    }
    guard let leaseMillis = Interval(parsing: leasePeriod)?.millisecondsValue else {
      throw .invalidLeasePeriod(leasePeriod)
    }
    return try InstanceSettings(
      count: count, index: index, exchangeURL: exchangeUrl, jobName: jobName,
      leasePeriod: .milliseconds(leaseMillis))
  }

  /// The checkpoint interval in milliseconds; `nil` for `off`; for `auto`
  /// the first interval, the minimum (validated by `validate()`).
  public var checkpointIntervalMillis: Int64? {
    if checkpointInterval == "auto" {
      return Interval(parsing: checkpointMinInterval)?.millisecondsValue
    }
    return Interval(parsing: checkpointInterval)?.millisecondsValue
  }

  /// The recovery objective of `--checkpoint-interval auto`, or `nil` for a
  /// fixed interval. Throws when `auto` lacks `--recovery-objective` or a
  /// duration is malformed or out of range.
  public func recoveryObjectiveSetting() throws -> RecoveryObjective? {
    guard checkpointInterval == "auto" else { return nil }
    guard let recoveryObjective else {
      throw ValidationError(
        "--checkpoint-interval auto needs --recovery-objective, e.g. --recovery-objective 2s")
    }
    do {
      return try RecoveryObjective(
        parsing: recoveryObjective, minimum: checkpointMinInterval,
        maximum: checkpointMaxInterval)
    } catch { throw ValidationError("\(error)") }
  }

  /// Checkpointing as these options say (`nil` without --checkpoint-dir).
  public var checkpointingConfiguration: CheckpointingConfiguration? {
    guard let directory = checkpointDir else { return nil }
    // Each instance of a scaled-out job checkpoints on its own, in its own directory.
    let checkpointDir =
      ((try? instanceSettings()) ?? .single).checkpointDirectory(in: directory)
    // With `auto` no first interval: the job starts at the controller's safe
    // start (a quarter of 80 % of the objective), not at the minimum.
    let settings = CheckpointSettings(
      intervalMillis: checkpointInterval == "auto" ? nil : checkpointIntervalMillis,
      mode: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce,
      timeoutMillis: Interval(parsing: checkpointTimeout)?.millisecondsValue ?? 600_000)
    return CheckpointingConfiguration(
      directory: checkpointDir, settings: settings, fresh: fresh, restorePath: restoreFrom,
      savepoints: SavepointSignals.shared.control,
      recoveryObjective: try? recoveryObjectiveSetting())
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
    config.instances = (try? instanceSettings()) ?? .single
    if let url = config.instances.exchangeURL, !config.instances.isSingle {
      config.exchangeTransport = JetStreamExchange(url: url)
    }
    if let jobName { config.jobName = jobName }
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

  /// The log level `--log-level` names (validated by `validate()`).
  public var logLevelValue: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

  /// A logger labelled `tributary` at `--log-level`, writing `--log-format`
  /// lines (``LineLogHandler`` or ``JSONLineLogHandler``) to `output`, by
  /// default unbuffered to standard output.
  public func makeLogger(
    output: @escaping @Sendable (String) -> Void = LineLogHandler.standardOutput
  ) -> Logger {
    let level = logLevelValue
    if logFormat == "json" {
      return Logger(label: "tributary") { label in
        JSONLineLogHandler(label: label, level: level, output: output)
      }
    }
    return Logger(label: "tributary") { _ in LineLogHandler(level: level, output: output) }
  }

  /// A fresh environment configured by these options: the job is named after
  /// the executable, its log (resuming from checkpoints, skipped checkpoints,
  /// restarts, savepoints, connector events) goes to a logger at
  /// `--log-level` writing lines to `logOutput` (default: standard output,
  /// unbuffered, so a process killed with `kill -9` has shown everything it
  /// logged), and with `--web-port` the job is monitored for ``run(_:)``'s web server.
  public func makeEnvironment(
    logOutput: @escaping @Sendable (String) -> Void = LineLogHandler.standardOutput
  ) -> StreamEnvironment {
    var config = jobConfiguration
    config.jobName =
      jobName ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "job").lastPathComponent
    config.logger = makeLogger(output: logOutput)
    config.checkpointing = checkpointingConfiguration
    if webPort != nil {
      config.monitor = JobMonitor(metricsFactory: PipelineWeb.metrics.factory)
    }
    return StreamEnvironment(configuration: config)
  }

  /// Runs the job of `environment` (made by ``makeEnvironment(logOutput:)``)
  /// until it ends or SIGINT/SIGTERM stops it, as ``runUntilSignalled(_:)``;
  /// with `--web-port` the dashboard, the REST API and `/metrics` are served
  /// while it runs (and, with `--web-keep-alive`, after it ended until a signal).
  /// - Returns: `true` when the job ended by itself, `false` when a signal stopped it.
  /// - Throws: the job's failure; ``JobWebServer/StartError`` when the port cannot be bound.
  public func run(_ environment: StreamEnvironment) async throws -> Bool {
    try await run(environment) { _ = try await environment.execute() }
  }

  /// As ``run(_:)``, with `job` (which calls `environment.execute()` and
  /// keeps what it needs of the result) run in place of the bare execution.
  public func run(
    _ environment: StreamEnvironment, job: @escaping @Sendable () async throws -> Void
  ) async throws -> Bool {
    let config = environment.configuration
    let job = Self.holdingLease(job, config: config)
    guard let webPort, let monitor = config.monitor else {
      return try await runUntilSignalled(job)
    }
    let server = JobWebServer(
      monitor: monitor, metrics: PipelineWeb.metrics, host: webHost, port: webPort,
      logger: config.logger)
    _ = try await server.start()
    let outcome: Result<Bool, any Error>
    do {
      outcome = .success(try await runUntilSignalled(job))
    } catch {
      outcome = .failure(error)
    }
    let endedByItself: Bool
    switch outcome {
    case .success(let finished): endedByItself = finished
    case .failure: endedByItself = true
    }
    if webKeepAlive, endedByItself, !monitor.stoppedWithSavepoint {
      // A signal stopped nothing yet: serve the final state until one does.
      config.logger.info("job ended; serving its final state until SIGINT or SIGTERM")
      _ = try? await runUntilSignalled {
        while true { try await Task.sleep(for: .seconds(3_600)) }
      }
    }
    await server.stop()
    return try outcome.get()
  }
}

extension PipelineOptions {
  /// `job`, run while this process holds its instance's lease when the job
  /// runs as several instances (docs/scale-out.md, "Fencing"): the lease is
  /// acquired first (throwing ``LeaseRefusal`` naming the holder when another
  /// process runs this instance), kept renewed while the job runs, and
  /// released when it ends; when the lease is lost the process ends at once
  /// with status 1 (``stopProcess(after:logger:)``, from the lease's own
  /// thread), before another may take over. With one instance, `job` itself.
  static func holdingLease(
    _ job: @escaping @Sendable () async throws -> Void, config: JobConfiguration
  ) -> @Sendable () async throws -> Void {
    let instances = config.instances
    guard !instances.isSingle, let url = instances.exchangeURL, let jobName = instances.jobName
    else { return job }
    let logger = config.logger
    return {
      let connection = try NATSConnection(url: url)
      defer { connection.close() }
      let jetStream = try JetStream(connection, timeout: instances.leasePeriod / 5)
      let bucket = try KeyValueBucket(jetStream, name: JetStreamInstanceLease.bucketName)
      let lease = try await JetStreamInstanceLease.acquire(
        in: bucket, jobName: jobName, instance: instances.index, period: instances.leasePeriod)
      defer { lease.release() }
      // From the lease's own thread: the job's tasks may be blocked on a
      // server the partition cut off, leaving no thread to run `keep()`.
      lease.whenLost { loss in Self.stopProcess(after: loss, logger: logger) }
      logger.info(
        "instance lease acquired",
        metadata: [
          "lease": "\(lease.key)", "instance": "\(instances.index)",
          "instances": "\(instances.count)",
        ])
      try await job()
    }
  }
}

extension PipelineOptions {
  /// Ends the process at once after the lease was lost: says why, then
  /// exits with status 1 without waiting for the job. Cancelling the job
  /// is not enough: a task blocked on a server it cannot reach (the very
  /// partition that cost the lease) would keep the process, its checkpoint
  /// directory and its connections alive past the moment a successor takes
  /// over. Exiting like this is as safe as `kill -9`: the successor resumes
  /// from the latest checkpoint and the sinks' transactions make output
  /// exactly-once.
  static func stopProcess(after loss: LeaseLoss, logger: Logger) -> Never {
    logger.critical("stopping the process: \(loss)")
    FileHandle.standardError.write(Data("Error: \(loss)\n".utf8))
    fflush(nil)  // every C stream
    _exit(1)
  }
}

/// The process's metrics registry: a pipeline executable runs one job, and
/// `/metrics` shows everything registered in it.
enum PipelineWeb {
  static let metrics = PrometheusMetrics()
}
