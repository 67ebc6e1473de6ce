import ArgumentParser
import Tributary
import TributaryCLI
import TributaryNexmark

/// `nexmark`: one Nexmark query over generated events, its rows written as
/// JSON lines (the fields of `tributary-bench nexmark --results-out`) exactly
/// once to `OUTPUT/part-<subtask>-<checkpoint>.jsonl`. Killed at any moment and
/// restarted with the same arguments, it resumes from its last checkpoint and
/// the committed rows equal those of one undisturbed run.
@main
struct NexmarkPipelineCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nexmark",
    abstract: "Run one Nexmark query over generated events, writing its results exactly once.")

  @Option(help: "Query: q0, q1, q2, q3, q4, q5, q7 or q8.")
  var query: String

  @Option(help: "Number of generated events.")
  var events: Int = 1_000_000

  @Option(
    help: "Events per second of wall-clock time, over all subtasks (omit: as fast as possible).")
  var rate: Double?

  @Option(help: "Events per second of event time (Nexmark's first-event rate).")
  var firstEventRate: Int64 = 10_000_000

  @Option(help: "Directory for the committed results.")
  var output: String = "nexmark-output"

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    do { _ = try NexmarkQuery(named: query) } catch { throw ValidationError("\(error)") }
    if events < 0 { throw ValidationError("--events must not be negative") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    if firstEventRate <= 0 { throw ValidationError("--first-event-rate must be positive") }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    var configuration = NexmarkConfiguration()
    configuration.firstEventRate = firstEventRate
    try NexmarkQuery(named: query)
      .results(of: env.nexmark(events: events, configuration: configuration, ratePerSecond: rate))
      .writeTransactional(directory: output, fileExtension: "jsonl", name: "Results") {
        $0.jsonLine
      }
    let finished = try await pipeline.run(env)
    print(finished ? "done: results in \(output)" : "stopped by signal")
  }
}
