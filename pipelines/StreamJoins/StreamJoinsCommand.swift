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
}

/// `stream-joins`: generated left and right events, out of order within the
/// 8 ms watermark bound, into two joins and two exactly-once file sinks:
/// `OUTPUT/interval` (`left_id,right_id` of the interval join
/// `between(-4 ms, +6 ms)`) and `OUTPUT/outer` (`key,start,end,left_id|-,right_id|-`,
/// a full outer join per 25 ms tumbling window written with `coGroup`).
/// Killed at any moment and restarted with the same arguments, the committed
/// output equals that of one undisturbed run.
@main
struct StreamJoinsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stream-joins",
    abstract: "An interval join and a coGroup full outer join of two generated streams.")

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
    let finished = try await pipeline.run(env)
    print(finished ? "done: output in \(output)" : "stopped by signal")
  }
}
