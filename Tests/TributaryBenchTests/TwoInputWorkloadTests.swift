import Foundation
import Testing

/// `tributary-bench run --workload w4` end to end: two keyed inputs into a
/// `KeyedCoProcessFunction`, checked against the sums computed here.
@Suite struct TwoInputWorkloadTests {
  @Test(arguments: ["heap", "rocksdb"], [1, 2])
  func w4SumsEveryValueOncePerKeyAndAgreesWithItsBaseline(state: String, parallelism: Int) throws {
    let events = 300_001
    let object = try CheckpointSweepTests.benchJSON(
      [
        "run", "--workload", "w4", "--events", "\(events)", "--parallelism", "\(parallelism)",
        "--state", state, "--json",
      ])
    #expect(object["workload"] as? String == "w4")
    #expect((object["output_records"] as? NSNumber)?.intValue == 10_000)
    let expectedSum = (0..<events).reduce(0) { $0 + $1 % 100 }
    #expect((object["output_sum"] as? NSNumber)?.intValue == expectedSum)
    #expect(object["baseline_mismatch"] == nil)
    #expect(((object["events_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0)
  }
}
