import Foundation
import Testing

/// `tributary-bench run --workload w4` end to end: two keyed inputs into a
/// `KeyedCoProcessFunction`, checked against the sums computed here.
@Suite struct TwoInputWorkloadTests {
  @Test(arguments: ["heap", "rocksdb"], [1, 2])
  func w4SumsEveryValueOncePerKeyAndAgreesWithItsBaseline(state: String, parallelism: Int) throws {
    let bench = try #require(
      CheckpointSweepTests.benchExecutable, "build tributary-bench first (swift build)")
    let events = 300_001
    let process = Process()
    process.executableURL = URL(fileURLWithPath: bench)
    process.arguments = [
      "run", "--workload", "w4", "--events", "\(events)", "--parallelism", "\(parallelism)",
      "--state", state, "--json",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["workload"] as? String == "w4")
    #expect((object["output_records"] as? NSNumber)?.intValue == 10_000)
    let expectedSum = (0..<events).reduce(0) { $0 + $1 % 100 }
    #expect((object["output_sum"] as? NSNumber)?.intValue == expectedSum)
    #expect(object["baseline_mismatch"] == nil)
    #expect(((object["events_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0)
  }
}
