import Testing
import Tributary
import TributaryNexmark

/// How the queries that read two kinds of events are laid out: the operator
/// that picks them out runs in the source's task, so bids never leave it.
@Suite struct NexmarkPlanTests {
  /// The plan's line (one per chain) that names `operatorName`.
  private func chains(naming operatorName: String, _ build: (DataStream<NexmarkEvent>) -> Void)
    throws -> [String]
  {
    let env = StreamEnvironment(parallelism: 2)
    build(env.nexmark(events: 1_000))
    return try env.explain().split(separator: "\n").map(String.init)
      .filter { $0.contains(operatorName) }
  }

  @Test func q3SelectsPersonsAndAuctionsInTheSourcesTask() throws {
    let lines = try chains(naming: "Q3Select") { $0.q3().discard() }
    #expect(lines.count == 1)
    #expect(lines.first?.contains("Nexmark") == true, "\(lines)")
  }

  @Test func q8ProjectsPersonsAndAuctionsInTheSourcesTask() throws {
    let lines = try chains(naming: "Q8Project") { $0.q8().discard() }
    #expect(lines.count == 1)
    #expect(lines.first?.contains("Nexmark") == true, "\(lines)")
  }

  /// The contrast that makes the two tests above mean something: a stream
  /// read twice is not chained, so each reader runs in a task of its own.
  @Test func readingTheStreamTwiceStartsTwoTasks() throws {
    let lines = try chains(naming: "Persons") { events in
      events.persons.discard()
      events.auctions.discard()
    }
    #expect(lines.count == 1)
    #expect(lines.first?.contains("Nexmark") == false, "\(lines)")
  }
}
