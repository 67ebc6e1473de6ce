import Foundation
import Testing

@testable import Tributary

/// Slice 1 of scale-out (docs/scale-out.md): instance settings, key-group
/// ownership per instance, source splits per instance, and the plan cut into
/// stages at hash edges.
@Suite struct ScaleOutPlanTests {
  // MARK: Key groups per instance

  /// Every key group has exactly one owner (instance, subtask); each owner's
  /// groups form the contiguous range the range functions give, and the
  /// instance's range is [⌈I·G/N⌉, ⌈(I+1)·G/N⌉) computed here with real division.
  @Test(arguments: [(128, 1, 1), (128, 3, 2), (128, 3, 1), (10, 4, 3), (7, 7, 1), (128, 5, 7)])
  func everyKeyGroupHasOneOwner(maxParallelism: Int, instances: Int, parallelism: Int) {
    var owners: [Int: (instance: Int, subtask: Int)] = [:]
    for instance in 0..<instances {
      let owned = KeyGroups.range(
        instance: instance, instances: instances, maxParallelism: maxParallelism)
      let expectedStart = Int((Double(instance * maxParallelism) / Double(instances)).rounded(.up))
      let expectedEnd = Int(
        (Double((instance + 1) * maxParallelism) / Double(instances)).rounded(.up))
      #expect(owned == expectedStart..<expectedEnd)
      var covered: [Int] = []
      for subtask in 0..<parallelism {
        let range = KeyGroups.range(
          subtask: subtask, parallelism: parallelism, instance: instance, instances: instances,
          maxParallelism: maxParallelism)
        covered += Array(range)
        for group in range {
          #expect(owners[group] == nil, "key group \(group) owned twice")
          owners[group] = (instance, subtask)
        }
      }
      #expect(covered == Array(owned), "the subtasks split the instance's range in order")
    }
    #expect(owners.count == maxParallelism)
    for group in 0..<maxParallelism {
      let owner = owners[group]!
      #expect(
        KeyGroups.instance(
          forKeyGroup: group, instances: instances, maxParallelism: maxParallelism)
          == owner.instance)
      #expect(
        KeyGroups.subtask(
          forKeyGroup: group, parallelism: parallelism, instances: instances,
          maxParallelism: maxParallelism) == owner.subtask)
    }
  }

  @Test func oneInstanceOwnsWhatTheWholeJobOwnsToday() {
    for subtask in 0..<3 {
      #expect(
        KeyGroups.range(
          subtask: subtask, parallelism: 3, instance: 0, instances: 1, maxParallelism: 128)
          == KeyGroups.range(subtask: subtask, parallelism: 3, maxParallelism: 128))
    }
    #expect(KeyGroups.range(instance: 0, instances: 3, maxParallelism: 128) == 0..<43)
    #expect(KeyGroups.range(instance: 1, instances: 3, maxParallelism: 128) == 43..<86)
    #expect(KeyGroups.range(instance: 2, instances: 3, maxParallelism: 128) == 86..<128)
  }

  // MARK: Source splits per instance

  @Test func splitsAreDealtOverInstancesThenSubtasks() {
    let splits = (0..<8).map { "s\($0)" }
    // Instances first: instance 0 gets s0, s3, s6; instance 1 s1, s4, s7; instance 2 s2, s5.
    #expect(
      SplitDiscovery.assigned(splits, instance: 0, instances: 3, subtask: 0, parallelism: 2)
        == ["s0", "s6"])
    #expect(
      SplitDiscovery.assigned(splits, instance: 0, instances: 3, subtask: 1, parallelism: 2)
        == ["s3"])
    #expect(
      SplitDiscovery.assigned(splits, instance: 2, instances: 3, subtask: 1, parallelism: 2)
        == ["s5"])
    var seen: [String] = []
    for instance in 0..<3 {
      for subtask in 0..<2 {
        seen += SplitDiscovery.assigned(
          splits, instance: instance, instances: 3, subtask: subtask, parallelism: 2)
      }
    }
    #expect(seen.sorted() == splits, "every split read exactly once")
    #expect(
      SplitDiscovery.assigned(splits, instance: 0, instances: 1, subtask: 1, parallelism: 3)
        == SplitDiscovery.assigned(splits, subtask: 1, parallelism: 3))
  }

  // MARK: Exchange topology

  @Test func anExchangesNamesProducersAndReaders() {
    let topology = ExchangeTopology(
      job: "wc", index: 1, instances: 3, producerParallelism: 2, consumerParallelism: 2,
      maxParallelism: 128)
    #expect(topology.stream == "wc-x1")
    #expect(topology.subject(keyGroup: 42) == "wc-x1.42")
    #expect(topology.subjectFilter == "wc-x1.*")
    #expect(
      topology.producers
        == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)].map {
          ExchangeProducer(instance: $0.0, subtask: $0.1)
        })
    // Every subject is read by exactly one subtask of one instance.
    var readers: [Int: Int] = [:]
    for instance in 0..<3 {
      for subtask in 0..<2 {
        for group in topology.keyGroups(instance: instance, subtask: subtask) {
          readers[group, default: 0] += 1
        }
      }
    }
    #expect(readers.count == 128 && readers.values.allSatisfy { $0 == 1 })
    #expect(topology.keyGroups(instance: 1, subtask: 0) == 43..<65)
  }

  // MARK: Instance settings

  @Test func settingsAreValidated() throws {
    let valid = try InstanceSettings(
      count: 3, index: 2, exchangeURL: "nats://10.0.0.1:4222", jobName: "counts_1")
    #expect(valid.description == "instance 2 of 3 (job counts_1, exchange nats://10.0.0.1:4222)")
    #expect(valid.checkpointDirectory(in: "/ckpt/") == "/ckpt/instance-2")
    #expect(InstanceSettings.single.checkpointDirectory(in: "/ckpt") == "/ckpt")
    #expect(InstanceSettings.single.leasePeriod == .seconds(10))
    #expect(throws: InstanceSettingsError.indexOutOfRange(index: 3, count: 3)) {
      try InstanceSettings(count: 3, index: 3, exchangeURL: "nats://h:1", jobName: "j")
    }
    #expect(throws: InstanceSettingsError.indexOutOfRange(index: -1, count: 1)) {
      try InstanceSettings(count: 1, index: -1)
    }
    #expect(throws: InstanceSettingsError.countOutOfRange(0)) {
      try InstanceSettings(count: 0, index: 0)
    }
    #expect(throws: InstanceSettingsError.missingExchangeURL(count: 2)) {
      try InstanceSettings(count: 2, index: 0, jobName: "j")
    }
    #expect(throws: InstanceSettingsError.missingJobName(count: 2)) {
      try InstanceSettings(count: 2, index: 0, exchangeURL: "nats://h:4222")
    }
    for url in ["http://h:4222", "nats://h", "nats://:4222", "nats://h:0", "nats://h:4222/x"] {
      #expect(throws: InstanceSettingsError.invalidExchangeURL(url)) {
        try InstanceSettings(count: 2, index: 0, exchangeURL: url, jobName: "j")
      }
    }
    #expect(throws: InstanceSettingsError.invalidJobName("a.b")) {
      try InstanceSettings(count: 2, index: 0, exchangeURL: "nats://h:1", jobName: "a.b")
    }
    #expect(throws: InstanceSettingsError.leasePeriodTooShort(.milliseconds(500))) {
      try InstanceSettings(count: 1, index: 0, leasePeriod: .milliseconds(500))
    }
    // One instance needs no exchange.
    #expect(try InstanceSettings(count: 1, index: 0).isSingle)
  }

  @Test func indexFromAStatefulSetHostname() {
    #expect(InstanceSettings.index(fromHostname: "windowed-counts-2") == 2)
    #expect(InstanceSettings.index(fromHostname: "counts-12.counts.default.svc") == 12)
    #expect(InstanceSettings.index(fromHostname: "laptop") == nil)
    #expect(InstanceSettings.index(fromHostname: "web-") == nil)
    #expect(InstanceSettings.index(fromHostname: "web-a1") == nil)
  }

  // MARK: Stages and exchanges

  static func instance(_ index: Int, of count: Int) throws -> InstanceSettings {
    try InstanceSettings(
      count: count, index: index, exchangeURL: "nats://127.0.0.1:4222", jobName: "wc")
  }

  static func wordCount(_ env: StreamEnvironment) {
    env.generate(count: 10) { "w\($0 % 3)" }.flatMap { [$0, $0] }.keyBy { $0 }
      .reduce { a, _ in a }.map { $0.count }.keyBy { $0 }.reduce { $0 + $1 }
      .rebalance().discard()
  }

  @Test func oneInstanceExplainsAsBefore() throws {
    let plain = StreamEnvironment(parallelism: 2)
    Self.wordCount(plain)
    let single = StreamEnvironment(
      configuration: plain.configuration, instances: .single)
    Self.wordCount(single)
    #expect(try single.explain() == plain.explain())
    #expect(!(try plain.explain()).contains("stage"))
  }

  @Test func planIsCutIntoStagesAtEveryHashEdge() throws {
    let env = StreamEnvironment(
      configuration: StreamEnvironment(parallelism: 2).configuration,
      instances: try Self.instance(1, of: 3))
    Self.wordCount(env)
    let plan = try env.explain()
    let expected = """
      task 0 [2x]: Generator -> FlatMap  ==> HASH to task 1
      task 1 [2x]: Reduce -> Map  ==> HASH to task 2
      task 2 [2x]: Reduce  ==> REBALANCE to task 3
      task 3 [2x]: Discard
      instance 1 of 3 (job wc, exchange nats://127.0.0.1:4222):
      stage 0: task 0 (source splits dealt over 3 instances, then subtasks)
      stage 1: task 1 (key groups 43..<86 of 128)
      stage 2: tasks 2, 3 (key groups 43..<86 of 128)
      exchange wc-x0: task 0 (stage 0) ==> task 1 (stage 1), subjects wc-x0.<key group> (128)
      exchange wc-x1: task 1 (stage 1) ==> task 2 (stage 2), subjects wc-x1.<key group> (128)
      """
    #expect(plan == expected)
  }

  @Test func aPipelineWithoutKeyByHasOneStageAndNoExchange() throws {
    let env = StreamEnvironment(
      configuration: JobConfiguration(), instances: try Self.instance(0, of: 2))
    env.generate(count: 10) { $0 }.map { $0 + 1 }.discard()
    let plan = try env.explain()
    #expect(plan.contains("stage 0: task 0 (source splits dealt over 2 instances, then subtasks)"))
    #expect(plan.contains("no exchange"))
  }

  /// A job meant for several instances never runs silently as one process:
  /// without checkpoints (the exchange commits at checkpoints) or without an
  /// exchange transport it refuses, saying what to give.
  @Test func severalInstancesNeedCheckpointsAndATransport() async throws {
    let env = StreamEnvironment(
      configuration: JobConfiguration(), instances: try Self.instance(0, of: 2))
    let output = env.fromCollection([1, 2, 3]).collect()
    await #expect(throws: InstanceSettingsError.checkpointsRequired(count: 2)) {
      try await env.execute()
    }
    #expect(output.values.isEmpty)
    let directory = try temporaryDirectory("tributary-scale-out-refusal")
    defer { try? FileManager.default.removeItem(at: directory) }
    var config = JobConfiguration()
    config.checkpointing = CheckpointingConfiguration(directory: directory.path)
    let withCheckpoints = StreamEnvironment(
      configuration: config, instances: try Self.instance(0, of: 2))
    let other = withCheckpoints.fromCollection([1, 2, 3]).collect()
    await #expect(throws: InstanceSettingsError.noExchangeTransport(count: 2)) {
      try await withCheckpoints.execute()
    }
    #expect(other.values.isEmpty)
  }

  /// A pipeline executable started as one of several instances without
  /// checkpoints says why it does not run, and rejects invalid instance options before anything runs.
  @Test func theExecutablesRefuseSeveralInstancesClearly() throws {
    guard let binary = builtExecutable("word-count") else {
      Issue.record("word-count is not built; run `swift build` first")
      return
    }
    let instance = try runProcess(
      binary,
      [
        "--lines", "10", "--instances", "2", "--instance", "1", "--exchange-url",
        "nats://127.0.0.1:4222", "--job-name", "wc",
      ], mergingStandardError: true)
    #expect(instance.status != 0)
    #expect(
      instance.output.contains(
        "give --checkpoint-dir (each instance checkpoints into DIR/instance-I)"),
      "\(instance.output)")
    let invalid = try runProcess(
      binary, ["--lines", "10", "--instances", "2", "--job-name", "wc"],
      mergingStandardError: true)
    #expect(invalid.status != 0)
    #expect(invalid.output.contains("--exchange-url nats://HOST:PORT"), "\(invalid.output)")
    let single = try runProcess(binary, ["--lines", "10", "--instances", "1"])
    #expect(single.status == 0, "one instance runs as before")
  }

  @Test func moreInstancesThanKeyGroupsIsRejected() throws {
    var config = JobConfiguration()
    config.maxParallelism = 4
    let env = StreamEnvironment(configuration: config, instances: try Self.instance(0, of: 5))
    env.generate(count: 10) { $0 }.discard()
    #expect(throws: InstanceSettingsError.moreInstancesThanKeyGroups(count: 5, maxParallelism: 4)) {
      try env.explain()
    }
  }

  /// Sinks scope their names per instance; a single instance keeps them.
  @Test func namesAreScopedPerInstance() throws {
    #expect(InstanceSettings.single.scoped("part") == "part")
    #expect(try Self.instance(2, of: 3).scoped("part") == "part-i2")
  }
}
