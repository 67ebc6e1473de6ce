import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Broadcast state: rules broadcast to every subtask, read by keyed records,
/// changed mid-stream, visiting every key's state, checkpointed once per
/// subtask and restored to every subtask at another parallelism.
@Suite struct BroadcastStateTests {
  /// An event of a sensor.
  struct Reading: Sendable, Codable, BinaryCodable, Hashable {
    var sensor: Int
    var value: Int
    var time: Int64
  }

  /// A rule: alert above `threshold` from event time `from` on, or `reset` every count.
  struct Rule: Sendable, Codable, BinaryCodable, Hashable {
    var threshold: Int
    var from: Int64
    var reset = false
  }

  static let rules = MapStateDescriptor<Int64, Int>("thresholds")  // from -> threshold
  static let count = ValueStateDescriptor<Int>("alerts")

  /// Counts each sensor's readings above the threshold in force at the
  /// reading's event time (the rule with the latest `from` at or before it),
  /// deciding when the watermark passes the reading, so the result does not
  /// depend on how the two inputs interleave. Emits `sensor:value:count`;
  /// a `reset` rule zeroes every sensor's count (through every key's state)
  /// and emits `reset:<keys visited>`.
  struct ThresholdAlerts: KeyedBroadcastProcessFunction {
    typealias Key = Int
    static let pending = ListStateDescriptor<Reading>("pending")

    mutating func processElement(
      _ value: Reading, context: ReadOnlyKeyedBroadcastContext<Int, Int64, Int>,
      out: inout Collector<String>
    ) throws {
      try context.keyed.state(Self.pending).add(value)
      try context.keyed.registerEventTimeTimer(value.time)
    }

    mutating func processBroadcastElement(
      _ value: Rule, context: KeyedBroadcastContext<Int, Int64, Int>, out: inout Collector<String>
    ) throws {
      if value.reset {
        var visited = 0
        try context.applyToKeyedState(BroadcastStateTests.count) { _, state in
          try state.update(0)
          visited += 1
        }
        out.emit("reset:\(visited)")
      } else {
        context.broadcastState.put(value.from, value.threshold)
      }
    }

    mutating func onTimer(
      _ time: Int64, domain: TimeDomain, context: ReadOnlyKeyedBroadcastContext<Int, Int64, Int>,
      out: inout Collector<String>
    ) throws {
      let pending = try context.keyed.state(Self.pending)
      let due = try pending.get().filter { $0.time <= time }
      try pending.update(try pending.get().filter { $0.time > time })
      let count = try context.keyed.state(BroadcastStateTests.count)
      for reading in due.sorted(by: { ($0.time, $0.value) < ($1.time, $1.value) }) {
        let rule = context.broadcastEntries.filter { $0.key <= reading.time }.max {
          $0.key < $1.key
        }
        guard let threshold = rule?.value, reading.value > threshold else { continue }
        let total = (try count.value() ?? 0) + 1
        try count.update(total)
        out.emit("\(reading.sensor):\(reading.value):\(total)")
      }
    }
  }

  /// The same rules applied in plain Swift.
  static func expected(_ readings: [Reading], _ rules: [Rule]) -> [String] {
    var counts: [Int: Int] = [:]
    var out: [String] = []
    for reading in readings.sorted(by: {
      ($0.sensor, $0.time, $0.value) < ($1.sensor, $1.time, $1.value)
    }) {
      let rule = rules.filter { $0.from <= reading.time }.max { $0.from < $1.from }
      guard let rule, reading.value > rule.threshold else { continue }
      counts[reading.sensor, default: 0] += 1
      out.append("\(reading.sensor):\(reading.value):\(counts[reading.sensor]!)")
    }
    return out
  }

  @Test(arguments: [(StateConfig.heap, 1), (.heap, 2), (.rocksTinyCache, 4)])
  func rulesThatChangeMidStreamApplyFromTheirEventTime(config: StateConfig, parallelism: Int)
    async throws
  {
    var rng = SplitMix64(seed: UInt64(parallelism) * 7)
    let readings = (0..<3_000).map { i in
      Reading(sensor: i % 17, value: Int(rng.next() % 100), time: Int64(i * 10))
    }
    // Thresholds change four times over the stream's event time.
    let rules = [
      Rule(threshold: 90, from: 0), Rule(threshold: 50, from: 7_000),
      Rule(threshold: 95, from: 15_000), Rule(threshold: 20, from: 22_000),
    ]
    let directory = try temporaryDirectory("tributary-broadcast")
    defer { try? FileManager.default.removeItem(at: directory) }
    var configuration = JobConfiguration()
    configuration.parallelism = parallelism
    configuration.stateBackend = config.configuration(directory: directory.path)
    let env = StreamEnvironment(configuration: configuration)
    let ruleStream = env.fromCollection(rules, name: "Rules")
      .assignTimestampsAndWatermarks(.monotonic { $0.from })
      .broadcast(Self.rules)
    let output = env.generate(count: readings.count, name: "Readings") { readings[$0] }
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(50)) { $0.time })
      .keyBy { $0.sensor }
      .connect(ruleStream)
      .process(ThresholdAlerts())
      .collect()
    _ = try await env.execute()
    expectSameElements(output.values, Self.expected(readings, rules))
  }

  @Test func applyToKeyedStateVisitsEveryKeyAndTheStateRestoresAtAnyParallelism() throws {
    let fixture = try StateHarness<Int>(.heap)
    defer { fixture.close() }
    let function = ThresholdAlerts()
    func makeOperator() -> KeyedBroadcastProcessOperator<ThresholdAlerts> {
      KeyedBroadcastProcessOperator(
        function: function, stateName: Self.rules.name, key: { $0.sensor },
        timestamp1: { $0.time }, timestamp2: { $0.from })
    }
    let op = makeOperator()
    try op.open(fixture.operatorContext)
    var output: [String] = []
    try op.processBatch(
      [.second(Rule(threshold: 10, from: 0))]
        + (0..<20).map { .first(Reading(sensor: $0, value: 50, time: 5)) }, into: &output)
    _ = try op.processWatermark(5, into: &output)
    #expect(output.count == 20)
    output = []
    try op.processBatch([.second(Rule(threshold: 0, from: 0, reset: true))], into: &output)
    #expect(output == ["reset:20"])
    try op.processBatch([.second(Rule(threshold: 70, from: 100))], into: &output)
    let prepared = try op.prepareSnapshot(SnapshotRequest(checkpoint: 1))
    let write = try #require(prepared)
    let snapshot = try write().bytes
    op.close()

    // Three subtasks of a restored job: each has both rules and its own keys' counts.
    for subtask in 0..<3 {
      let context = OperatorContext(
        operatorName: "restored", subtaskIndex: subtask, parallelism: 3, maxParallelism: 128,
        restoredState: [snapshot])
      let restored = makeOperator()
      try restored.open(context)
      defer { restored.close() }
      #expect(restored.state.all == [0: 10, 100: 70])
      var out: [String] = []
      var scratch = BinaryWriter(capacity: 16)
      let owned = (0..<20).filter {
        context.keyGroupRange.contains(
          KeyGroups.keyGroup(of: $0, maxParallelism: 128, scratch: &scratch))
      }
      try restored.processBatch(
        owned.map { .first(Reading(sensor: $0, value: 50, time: 50)) }, into: &out)
      _ = try restored.processWatermark(50, into: &out)
      // Counts were reset to 0 before the snapshot, so every owned sensor counts 1 again.
      #expect(out.sorted() == owned.map { "\($0):50:1" }.sorted())
    }
  }

  @Test func aNonKeyedBroadcastFunctionReadsTheRulesOnEverySubtask() async throws {
    struct Filter: BroadcastProcessFunction {
      mutating func processElement(
        _ value: Int, context: ReadOnlyBroadcastContext<String, Int>, out: inout Collector<Int>
      ) throws {
        if let limit = context.broadcastValue("limit"), value < limit { out.emit(value) }
      }
      mutating func processBroadcastElement(
        _ value: Int, context: BroadcastContext<String, Int>, out: inout Collector<Int>
      ) throws {
        context.broadcastState.put("limit", value)
      }
    }
    let state = BroadcastState<String, Int>(name: "limits")
    state.put("limit", 3)
    let restored = BroadcastState<String, Int>(name: "limits")
    try restored.restore(from: state.snapshotBytes())
    #expect(restored.all == ["limit": 3])
    #expect(throws: StateError.self) {
      try BroadcastState<String, Int>(name: "other").restore(from: state.snapshotBytes())
    }
    let op = BroadcastProcessOperator(
      function: Filter(), stateName: "limits", timestamp1: nil, timestamp2: nil)
    try op.open(
      OperatorContext(
        operatorName: "filter", subtaskIndex: 1, parallelism: 2, maxParallelism: 128,
        restoredState: [state.snapshotBytes(), state.snapshotBytes()]))
    var out: [Int] = []
    try op.processBatch([.first(1), .first(5), .second(6), .first(5), .first(7)], into: &out)
    #expect(out == [1, 5])
    // In a job: the limit arrives before the numbers (they wait for it), on every subtask.
    let env = StreamEnvironment(parallelism: 2)
    let limit = env.fromCollection([1_000], name: "Limit").broadcast(
      MapStateDescriptor<String, Int>("limits"))
    let numbers = env.generate(count: 2_000, ratePerSecond: 20_000, name: "Numbers") { $0 }
      .rebalance()
      .connect(limit)
      .process(Filter())
      .collect()
    _ = try await env.execute()
    // Numbers that arrived before the limit are dropped; all later ones below it pass.
    #expect(numbers.values.allSatisfy { $0 < 1_000 })
    #expect(numbers.values.count > 0)
  }
}
