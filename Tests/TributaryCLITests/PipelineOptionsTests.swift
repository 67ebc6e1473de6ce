import ArgumentParser
import Testing
import Tributary

@testable import TributaryCLI

/// The common pipeline options parse, default and reject as documented.
@Suite struct PipelineOptionsTests {
  @Test func defaultsToHeapWithoutStateDirectory() throws {
    let options = try PipelineOptions.parse([])
    #expect(options.jobConfiguration.parallelism == 1)
    #expect(options.stateBackendConfiguration.kind == .heap)
  }

  @Test func stateDirectorySelectsRocksDB() throws {
    let options = try PipelineOptions.parse(["--state-dir", "/tmp/x", "--state-cache-mb", "8"])
    let backend = options.stateBackendConfiguration
    #expect(backend.kind == .rocksdb)
    #expect(backend.directory == "/tmp/x")
    #expect(backend.cacheBytes == 8 << 20)
  }

  @Test func rocksDBSnapshotFormat() throws {
    #expect(try PipelineOptions.parse([]).stateBackendConfiguration.rocksDBSnapshots == .portable)
    let options = try PipelineOptions.parse(["--rocksdb-snapshots", "automatic"])
    #expect(options.stateBackendConfiguration.rocksDBSnapshots == .automatic)
  }

  @Test func explicitBackendWins() throws {
    let options = try PipelineOptions.parse(["--state-dir", "/tmp/x", "--state-backend", "heap"])
    #expect(options.stateBackendConfiguration.kind == .heap)
  }

  @Test func checkpointAndRestartOptions() throws {
    let options = try PipelineOptions.parse([
      "--checkpoint-dir", "/tmp/c", "--checkpoint-interval", "200ms", "--mode", "at-least-once",
      "--checkpoint-timeout", "30s", "--restart-attempts", "3", "--restart-delay", "500ms",
      "--restart-backoff",
    ])
    let configuration = options.checkpointingConfiguration
    let checkpointing = try #require(configuration)
    #expect(checkpointing.settings.intervalMillis == 200)
    #expect(checkpointing.settings.mode == .atLeastOnce)
    #expect(checkpointing.settings.timeoutMillis == 30_000)
    #expect(
      options.restartStrategy
        == .exponentialBackoff(initial: .milliseconds(500), maximum: .seconds(60), attempts: 3))
    #expect(
      try PipelineOptions.parse(["--checkpoint-interval", "off", "--checkpoint-dir", "/x"])
        .checkpointIntervalMillis == nil)
    #expect(try PipelineOptions.parse([]).restartStrategy == .none)
  }

  @Test func autoIntervalTakesARecoveryObjectiveAndBounds() throws {
    let options = try PipelineOptions.parse([
      "--checkpoint-dir", "/tmp/c", "--checkpoint-interval", "auto", "--recovery-objective", "2s",
      "--checkpoint-min-interval", "200ms", "--checkpoint-max-interval", "30s",
    ])
    let checkpointing = try #require(options.checkpointingConfiguration)
    #expect(
      checkpointing.recoveryObjective
        == RecoveryObjective(
          .seconds(2), minimumInterval: .milliseconds(200), maximumInterval: .seconds(30)))
    // No first interval: the job starts at the controller's safe start (a
    // quarter of 80 % of the objective, 400 ms), not at the minimum.
    #expect(checkpointing.settings.intervalMillis == nil)
    #expect(CheckpointIntervalController.Settings(objectiveMillis: 2_000).safeStartMillis == 400)
    let defaults = try PipelineOptions.parse([
      "--checkpoint-dir", "/tmp/c", "--checkpoint-interval", "auto", "--recovery-objective", "1s",
    ])
    #expect(
      defaults.checkpointingConfiguration?.recoveryObjective
        == RecoveryObjective(
          .seconds(1), minimumInterval: .milliseconds(100), maximumInterval: .seconds(60)))
    #expect(
      try PipelineOptions.parse(["--checkpoint-dir", "/tmp/c"]).checkpointingConfiguration?
        .recoveryObjective == nil)
  }

  @Test func instanceOptions() throws {
    let single = try PipelineOptions.parse([])
    #expect(try single.instanceSettings(environment: [:], hostname: "h") == .single)
    #expect(single.jobConfiguration.instances.isSingle)
    let options = try PipelineOptions.parse([
      "--instances", "3", "--instance", "2", "--exchange-url", "nats://127.0.0.1:4222",
      "--job-name", "counts", "--lease-period", "4s", "--checkpoint-dir", "/ckpt",
    ])
    let settings = try options.instanceSettings(environment: [:], hostname: "h")
    #expect(settings.count == 3 && settings.index == 2)
    #expect(settings.exchangeURL == "nats://127.0.0.1:4222" && settings.jobName == "counts")
    #expect(settings.leasePeriod == .seconds(4))
    #expect(options.checkpointingConfiguration?.directory == "/ckpt/instance-2")
    #expect(options.jobConfiguration.jobName == "counts")
  }

  @Test func instanceFromTheEnvironmentAndTheHostname() throws {
    let options = try PipelineOptions.parse([
      "--exchange-url", "nats://nats:4222", "--job-name", "j",
    ])
    let fromEnvironment = try options.instanceSettings(
      environment: ["TRIBUTARY_INSTANCES": "4", "TRIBUTARY_INSTANCE": "3"], hostname: "h")
    #expect(fromEnvironment.count == 4 && fromEnvironment.index == 3)
    let auto = try options.instanceSettings(
      environment: ["TRIBUTARY_INSTANCES": "4", "TRIBUTARY_INSTANCE": "auto"],
      hostname: "counts-1.counts.default.svc.cluster.local")
    #expect(auto.index == 1)
    var explicit = options
    explicit.instances = 2
    explicit.instance = "0"
    let overridden = try explicit.instanceSettings(
      environment: ["TRIBUTARY_INSTANCES": "4", "TRIBUTARY_INSTANCE": "3"], hostname: "h")
    #expect(overridden.count == 2 && overridden.index == 0, "the command line wins")
    #expect(throws: InstanceSettingsError.hostnameWithoutIndex("laptop")) {
      try options.instanceSettings(
        environment: ["TRIBUTARY_INSTANCES": "4", "TRIBUTARY_INSTANCE": "auto"],
        hostname: "laptop")
    }
    #expect(throws: InstanceSettingsError.invalidCount("many")) {
      try options.instanceSettings(environment: ["TRIBUTARY_INSTANCES": "many"], hostname: "h")
    }
  }

  @Test(arguments: [
    ["--instances", "3", "--instance", "3", "--exchange-url", "nats://h:1", "--job-name", "j"],
    ["--instances", "2", "--job-name", "j"], ["--instances", "2", "--exchange-url", "nats://h:1"],
    ["--instances", "0"], ["--instance", "x"], ["--exchange-url", "http://h:1"],
    ["--job-name", "a b"], ["--lease-period", "soon"], ["--lease-period", "10ms"],
  ])
  func rejectsBadInstanceOptions(arguments: [String]) {
    #expect(throws: (any Error).self) { try PipelineOptions.parse(arguments) }
  }

  @Test(arguments: [
    ["--checkpoint-interval", "auto"], ["--recovery-objective", "2s"],
    ["--checkpoint-interval", "auto", "--recovery-objective", "soon"],
    [
      "--checkpoint-interval", "auto", "--recovery-objective", "2s", "--checkpoint-min-interval",
      "5s", "--checkpoint-max-interval", "1s",
    ],
    ["--checkpoint-interval", "soon"], ["--mode", "twice"], ["--restart-attempts", "2"],
    ["--restore-from", "/x"], ["--checkpoint-timeout", "1ms", "--checkpoint-dir", "/x"],
    ["--parallelism", "0"], ["--parallelism", "500"], ["--state-backend", "leveldb"],
    ["--state-cache-mb", "-1"], ["--rocksdb-snapshots", "sometimes"],
    ["--log-level", "loud"], ["--log-format", "xml"], ["--web-port", "70000"],
    ["--web-host", ""],
  ])
  func rejectsBadValues(arguments: [String]) {
    #expect(throws: (any Error).self) { try PipelineOptions.parse(arguments) }
  }
}
