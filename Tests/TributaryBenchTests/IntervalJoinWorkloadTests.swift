import Foundation
import Testing

/// `tributary-bench run --workload w5` end to end: the interval join of the
/// even (left) and odd (right) canonical events, checked against sums
/// computed here in closed form.
@Suite struct IntervalJoinWorkloadTests {
  @Test(arguments: ["heap", "rocksdb"], [1, 2])
  func w5JoinsEveryEvenEventWithItsOddNeighbour(state: String, parallelism: Int) throws {
    let events = 200_000
    let object = try CheckpointSweepTests.benchJSON(
      [
        "run", "--workload", "w5", "--events", "\(events)", "--parallelism", "\(parallelism)",
        "--state", state, "--json",
      ])
    #expect(object["workload"] as? String == "w5")
    // Events 2j and 2j + 1 share key j % 10,000 and are at most 1 ms apart; the next events
    // of that key are 20,000 indices (20 ms) away, outside ±5 ms: one pair per j.
    #expect((object["output_records"] as? NSNumber)?.intValue == events / 2)
    let expectedSum = (0..<events / 2).reduce(0) { $0 + (2 * $1) % 100 + (2 * $1 + 1) % 100 }
    #expect((object["output_sum"] as? NSNumber)?.intValue == expectedSum)
    #expect(object["baseline_mismatch"] == nil)
    #expect(((object["peak_state_entries"] as? NSNumber)?.intValue ?? 0) > 0)
  }
}
