import ArgumentParser
import Tributary
import TributaryCLI

/// A canonical benchmark event (see `tributary-bench`).
struct Event: Sendable {
  var key: Int64
  var timestampMs: Int64
  var value: Int64
}

/// Count and sum of values.
struct CountAndSum: AggregateFunction {
  func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
  func add(_ event: Event, to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(acc.first + 1, acc.second + event.value)
  }
  func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
  func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(a.first + b.first, a.second + b.second)
  }
}

/// `windowed-counts`: W2 (1-second tumbling event-time windows, count and sum
/// per key) from the generator into the exactly-once file sink. Killed at any
/// moment and restarted with the same arguments, the committed output equals
/// that of one undisturbed run.
@main
struct WindowedCountsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "windowed-counts",
    abstract: "Per-key counts and sums in 1-second event-time windows, written exactly once.")

  @Option(help: "Number of events (omit for an unbounded stream).")
  var events: Int?

  @Option(help: "Events per second (omit for as fast as possible).")
  var rate: Double?

  @Option(help: "Directory for the committed output files (*.csv: window_end,key,count,sum).")
  var output: String = "windowed-counts-output"

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    if let events, events < 0 { throw ValidationError("--events must not be negative") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    env.generate(count: events, ratePerSecond: rate, name: "Events") { i in
      Event(key: Int64(i % 10_000), timestampMs: Int64(i / 1_000), value: Int64(i % 100))
    }
    .assignTimestampsAndWatermarks(.monotonic { $0.timestampMs })
    .keyBy { $0.key }
    .window(.tumbling(.seconds(1)))
    .aggregate(name: "CountSum", CountAndSum()) { key, window, acc in
      "\(window.end),\(key),\(acc.first),\(acc.second)"
    }
    .writeTransactional(directory: output) { $0 }
    let finished = try await runUntilSignalled { try await env.execute() }
    print(finished ? "done: output in \(output)" : "stopped by signal")
  }
}
