import ArgumentParser
import Foundation

/// `tributary-bench run`: one workload, one JSON line.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run one canonical workload and report its throughput.")

  @Option(help: "Workload: w1 (stateless filter/map).")
  var workload: String

  @Option(help: "Number of canonical events.")
  var events: Int = 100_000_000

  @Option(help: "Parallelism of every operator.")
  var parallelism: Int = 1

  @Flag(help: "Print one JSON object on one line.")
  var json = false

  @Flag(help: "Skip the engine-free yardstick loop.")
  var noBaseline = false

  func validate() throws {
    guard events > 0 else { throw ValidationError("--events must be positive") }
    guard (1...128).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...128")
    }
    guard ["w1"].contains(workload) else {
      throw ValidationError("unknown --workload '\(workload)'; use w1")
    }
  }

  func run() async throws {
    let result: WorkloadResult
    var baseline: WorkloadResult?
    switch workload {
    default:
      result = try await runW1(events: events, parallelism: parallelism)
      if !noBaseline { baseline = runW1PlainLoop(events: events) }
    }
    var fields: [(String, JSONValue)] = [
      ("workload", .string(workload)),
      ("events", .int(events)),
      ("parallelism", .int(parallelism)),
      ("seconds", .double(result.seconds)),
      ("events_per_second", .double(Double(events) / result.seconds)),
      ("output_records", .int(result.outputRecords)),
      ("output_sum", .int64(result.outputSum)),
      ("peak_rss_bytes", .int(peakResidentBytes())),
    ]
    for key in result.extra.keys.sorted() { fields.append((key, result.extra[key]!)) }
    if let baseline {
      let rate = Double(events) / baseline.seconds
      fields.append(("baseline_events_per_second", .double(rate)))
      fields.append(("ratio_to_baseline", .double(Double(events) / result.seconds / rate)))
      if baseline.outputRecords != result.outputRecords || baseline.outputSum != result.outputSum {
        fields.append(("baseline_mismatch", .string("engine and plain loop disagree")))
      }
    }
    if json {
      print(jsonLine(fields))
    } else {
      for (key, value) in fields { print("\(key): \(value.text)") }
    }
  }
}
