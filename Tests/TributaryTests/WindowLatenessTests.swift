import Foundation
import Testing

@testable import Tributary

/// Runs `timestamps` (key 0, value = position) through one window operator
/// at parallelism 1 with a watermark after every record (`maxTs - bound - 1`),
/// so lateness is deterministic. Returns the results in emission order and
/// the late side output.
func runDeterministicWindow(
  _ timestamps: [Int64], assigner: WindowAssigner, lateness: Duration, bound: Int64 = 0,
  config: StateConfig, keys: (Int) -> Int = { _ in 0 }
) async throws -> (results: [WindowResult], late: [Reading]) {
  let directory = try temporaryDirectory("tributary-window-late")
  defer { try? FileManager.default.removeItem(at: directory) }
  let env = StreamEnvironment(parallelism: 1)
  env.configuration.stateBackend = config.configuration(directory: directory.path)
  env.configuration.batchSize = 1
  let readings = timestamps.enumerated().map {
    Reading(key: keys($0.offset), ts: $0.element, value: Int64($0.offset), id: $0.offset)
  }
  let strategy = WatermarkStrategy<Reading>
    .boundedOutOfOrderness(.milliseconds(bound)) { $0.ts }
    .withInterval(.zero)
  let stream = env.fromCollection(readings).assignTimestampsAndWatermarks(strategy)
  let tag = LateDataTag<Reading>()
  let results = stream.keyBy { $0.key }.window(assigner).allowedLateness(lateness)
    .sideOutputLateData(tag)
    .process {
      (key: Int, window: TimeWindow, records: [Reading], out: inout Collector<WindowResult>) in
      out.emit(
        WindowResult(
          key: key, start: window.start, end: window.end, count: Int64(records.count),
          sum: records.reduce(0) { $0 + $1.value }, ids: records.map(\.id).sorted()))
    }
  let late = stream.lateRecords(tag).collect()
  let collected = results.collect()
  _ = try await withTimeout(30) { try await env.execute() }
  return (collected.values, late.values)
}

/// Shorthand for an expected result of key 0.
func window(_ start: Int64, _ end: Int64, ids: [Int], key: Int = 0) -> WindowResult {
  WindowResult(
    key: key, start: start, end: end, count: Int64(ids.count), sum: Int64(ids.reduce(0, +)),
    ids: ids.sorted())
}

@Suite struct WindowLatenessTests {
  static let backends: [StateConfig] = [.heap, .rocksTinyCache]

  /// Late records within the allowed lateness re-fire their window with the
  /// updated contents; beyond it they reach only the late side output.
  @Test(arguments: backends)
  func lateRecordsRefireWithinLatenessAndGoToSideOutputBeyond(config: StateConfig) async throws {
    // ts:          0  1  2   3   4   5  6   7
    let ts: [Int64] = [1, 5, 12, 3, 35, 4, 15, 36]
    // wm after:    0  4  11  11  34  34 34  35
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .tumbling(.milliseconds(10)), lateness: .milliseconds(20), config: config)
    let expected = [
      window(0, 10, ids: [0, 1]),  // watermark 11 passes 9
      window(0, 10, ids: [0, 1, 3]),  // ts 3 late by 2, within 20: fires again
      window(10, 20, ids: [2]),  // watermark 34 passes 19 (and cleans [0,10) at 29)
      window(10, 20, ids: [2, 6]),  // ts 15: 19 + 20 = 39 > 34, fires again
      window(30, 40, ids: [4, 7]),  // end of input
    ]
    #expect(results == expected, "\(results)")
    #expect(late.map(\.id) == [5], "ts 4 after [0,10) was cleaned up at 29")
  }

  /// Without allowed lateness, a record behind the watermark is dropped from
  /// its window (which does not fire again) and goes to the side output.
  @Test(arguments: backends)
  func withoutLatenessLateRecordsOnlyReachTheSideOutput(config: StateConfig) async throws {
    let ts: [Int64] = [1, 5, 12, 3, 9, 10, 25]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .tumbling(.milliseconds(10)), lateness: .zero, config: config)
    #expect(
      results == [
        window(0, 10, ids: [0, 1]), window(10, 20, ids: [2, 5]), window(20, 30, ids: [6]),
      ], "\(results)")
    #expect(late.map(\.id) == [3, 4])
  }

  /// A record whose sliding windows are only partly late goes to the windows
  /// still open and not to the side output; when all are late, only to the side output.
  @Test(arguments: backends)
  func partlyLateSlidingRecordGoesToOpenWindowsOnly(config: StateConfig) async throws {
    // sliding size 20 slide 10; ts 21 → watermark 20: [0,20) fired.
    let ts: [Int64] = [5, 21, 15, 45, 12]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .sliding(.milliseconds(20), slide: .milliseconds(10)), lateness: .zero,
      config: config)
    let expected = [
      window(-10, 10, ids: [0]),  // watermark 20
      window(0, 20, ids: [0]),  // watermark 20
      window(10, 30, ids: [1, 2]),  // watermark 44 (ts 15 joined [10,30) only)
      window(20, 40, ids: [1]),
      window(30, 50, ids: [3]),  // end of input
      window(40, 60, ids: [3]),
    ]
    expectSameElements(results, expected)
    #expect(late.map(\.id) == [4], "ts 12 arrives after [0,20) and [10,30) fired")
  }

  /// A window is late exactly when maxTimestamp + allowedLateness <= watermark
  /// (Flink): with lateness 15, [0,10) stops accepting records at watermark 24,
  /// for every key.
  @Test(arguments: backends)
  func windowIsLateExactlyAtMaxTimestampPlusLateness(config: StateConfig) async throws {
    // keys 0,1,0,1,0; watermarks after each record: 0, 1, 24, 24, 24.
    let ts: [Int64] = [1, 2, 25, 3, 8]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .tumbling(.milliseconds(10)), lateness: .milliseconds(15), config: config,
      keys: { $0 % 2 })
    expectSameElements(
      results, [window(0, 10, ids: [0]), window(0, 10, ids: [1], key: 1), window(20, 30, ids: [2])])
    #expect(late.map(\.id).sorted() == [3, 4])
  }

  /// One millisecond earlier (watermark 23) the same records are still on time.
  @Test(arguments: backends)
  func windowAcceptsRecordsOneMillisecondBeforeLatenessEnds(config: StateConfig) async throws {
    let ts: [Int64] = [1, 2, 24, 3, 8]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .tumbling(.milliseconds(10)), lateness: .milliseconds(15), config: config,
      keys: { $0 % 2 })
    expectSameElements(
      results,
      [
        window(0, 10, ids: [0]), window(0, 10, ids: [1], key: 1),
        window(0, 10, ids: [1, 3], key: 1),
        window(0, 10, ids: [0, 4]), window(20, 30, ids: [2]),
      ])
    #expect(late.isEmpty)
  }
}
