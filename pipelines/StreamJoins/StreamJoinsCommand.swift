import ArgumentParser
import Tributary
import TributaryCLI

/// A generated event: left event `i` has id `i`, right event `i` id
/// `1_000_000 + i`; about two per millisecond, each up to 8 ms out of order.
struct JoinEvent: Codable, BinaryCodable {
  var id: Int64
  var key: Int64
  var timeMs: Int64

  static func left(_ i: Int) -> JoinEvent {
    JoinEvent(id: Int64(i), key: Int64(i % 97), timeMs: Int64(max(0, i / 2 - (i * 37) % 9)))
  }

  static func right(_ i: Int) -> JoinEvent {
    JoinEvent(
      id: 1_000_000 + Int64(i), key: Int64((i * 13) % 89),
      timeMs: Int64(max(0, i / 2 - (i * 53) % 9)))
  }

  /// The event's value, compared with the alert threshold: `id % 100`.
  var value: Int64 { id % 100 }
}

/// A broadcast rule: from event time `fromMs` on, alert on left events whose
/// value is above `threshold`. Rule `i` starts at `25·i` ms with threshold
/// `(i·37) % 100`.
struct ThresholdRule: Codable, BinaryCodable {
  var fromMs: Int64
  var threshold: Int64

  static func rule(_ i: Int) -> ThresholdRule {
    ThresholdRule(fromMs: Int64(25 * i), threshold: Int64((i * 37) % 100))
  }
}

/// Left events keyed by key against the broadcast rules: each event waits in
/// keyed state until the watermark passes its time, then is compared with
/// the rule in force at that time (the latest `fromMs` at or before it), so
/// the alerts do not depend on how the two inputs interleave. Emits the ids
/// of the events above their threshold.
struct ThresholdAlerts: KeyedBroadcastProcessFunction {
  typealias Key = Int64
  static let pending = ListStateDescriptor<JoinEvent>("pending")

  mutating func processElement(
    _ value: JoinEvent, context: ReadOnlyKeyedBroadcastContext<Int64, Int64, Int64>,
    out: inout Collector<String>
  ) throws {
    try context.keyed.state(Self.pending).add(value)
    try context.keyed.registerEventTimeTimer(value.timeMs)
  }

  mutating func processBroadcastElement(
    _ value: ThresholdRule, context: KeyedBroadcastContext<Int64, Int64, Int64>,
    out: inout Collector<String>
  ) throws {
    context.broadcastState.put(value.fromMs, value.threshold)
  }

  mutating func onTimer(
    _ time: Int64, domain: TimeDomain,
    context: ReadOnlyKeyedBroadcastContext<Int64, Int64, Int64>, out: inout Collector<String>
  ) throws {
    let pending = try context.keyed.state(Self.pending)
    let all = try pending.get()
    try pending.update(all.filter { $0.timeMs > time })
    let rules = context.broadcastEntries
    for event in all where event.timeMs <= time {
      let inForce = rules.filter { $0.key <= event.timeMs }.max { $0.key < $1.key }
      if let threshold = inForce?.value, event.value > threshold { out.emit("\(event.id)") }
    }
  }
}

/// The simulated lookup service of the enrichment: answers after 0 to 2 ms
/// (a fixed latency per id) with the key's region, `key·31 % 1000`.
enum RegionLookup {
  static func region(of event: JoinEvent) async throws -> String {
    try await Task.sleep(for: .microseconds((event.id * 7_919) % 2_000))
    return "\(event.id),\((event.key * 31) % 1_000)"
  }
}

/// `stream-joins`: generated left and right events, out of order within the
/// 8 ms watermark bound, into two joins and two exactly-once file sinks:
/// `OUTPUT/interval` (`left_id,right_id` of the interval join
/// `between(-4 ms, +6 ms)`) and `OUTPUT/outer` (`key,start,end,left_id|-,right_id|-`,
/// a full outer join per 25 ms tumbling window written with `coGroup`),
/// `OUTPUT/alerts` (ids of left events above the broadcast threshold in force
/// at their time, ``ThresholdAlerts``) and `OUTPUT/enriched` (`right_id,region`
/// of every right event, from an unordered `asyncMap` lookup).
/// Killed at any moment and restarted with the same arguments, the committed
/// output equals that of one undisturbed run.
@main
struct StreamJoinsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stream-joins",
    abstract:
      "An interval join, a coGroup full outer join, broadcast rules and an async lookup over two generated streams."
  )

  @Option(help: "Number of events per input.")
  var events: Int = 100_000

  @Option(help: "Events per second per input (omit for as fast as possible).")
  var rate: Double?

  @Option(help: "Directory for the committed output (interval/ and outer/).")
  var output: String = "stream-joins-output"

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    if events < 0 { throw ValidationError("--events must not be negative") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    let strategy = WatermarkStrategy<JoinEvent>.boundedOutOfOrderness(.milliseconds(8)) {
      $0.timeMs
    }
    let left = env.generate(count: events, ratePerSecond: rate, name: "Left") { JoinEvent.left($0) }
      .assignTimestampsAndWatermarks(strategy)
    let right = env.generate(count: events, ratePerSecond: rate, name: "Right") {
      JoinEvent.right($0)
    }
    .assignTimestampsAndWatermarks(strategy)
    left.keyBy { $0.key }.intervalJoin(right.keyBy { $0.key })
      .between(.milliseconds(-4), .milliseconds(6))
      .process(name: "IntervalJoin") { l, r, _, out in out.emit("\(l.id),\(r.id)") }
      .writeTransactional(directory: output + "/interval", name: "Interval") { $0 }
    left.coGroup(right).where { $0.key }.equalTo { $0.key }
      .window(.tumbling(.milliseconds(25)))
      .apply(name: "FullOuterJoin") { key, window, lefts, rights, out in
        let prefix = "\(key),\(window.start),\(window.end)"
        if lefts.isEmpty { for r in rights { out.emit("\(prefix),-,\(r.id)") } }
        if rights.isEmpty { for l in lefts { out.emit("\(prefix),\(l.id),-") } }
        for l in lefts { for r in rights { out.emit("\(prefix),\(l.id),\(r.id)") } }
      }
      .writeTransactional(directory: output + "/outer", name: "Outer") { $0 }
    // The rules last as long as the events (a finished source would end
    // periodic checkpoints): one per 25 ms of event time, 1/50 of the rate.
    let rules = env.generate(
      count: max(1, events / 50), ratePerSecond: rate.map { $0 / 50 }, name: "Rules"
    ) { ThresholdRule.rule($0) }
    .assignTimestampsAndWatermarks(.monotonic { $0.fromMs })
    .broadcast(MapStateDescriptor<Int64, Int64>("thresholds"))
    left.keyBy { $0.key }.connect(rules)
      .process(name: "ThresholdAlerts", ThresholdAlerts())
      .writeTransactional(directory: output + "/alerts", name: "Alerts") { $0 }
    right.asyncMap(name: "RegionLookup", capacity: 16, timeout: .seconds(10), ordered: false) {
      try await RegionLookup.region(of: $0)
    }
    .writeTransactional(directory: output + "/enriched", name: "Enriched") { $0 }
    let finished = try await pipeline.run(env)
    print(finished ? "done: output in \(output)" : "stopped by signal")
  }
}
