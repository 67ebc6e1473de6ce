import Foundation
import Testing

@testable import Tributary

/// Interval join against an independent nested-loop join over the same
/// generated data (out of order within the watermark bound), on both backends
/// at parallelism 1, 2 and 4; late data; bounded state.
@Suite struct IntervalJoinTests {
  struct Event: Codable, BinaryCodable, Equatable {
    var id: Int64
    var key: Int64
    var timeMs: Int64
  }

  /// One bounds case: `lower`/`upper` in ms and which ends are exclusive.
  struct Bounds: Sendable, CustomStringConvertible {
    var lower: Int64
    var upper: Int64
    var lowerExclusive = false
    var upperExclusive = false

    var description: String {
      "\(lowerExclusive ? "(" : "[")\(lower), \(upper)\(upperExclusive ? ")" : "]")"
    }

    /// Independent of the engine: does a right record at `r` join a left one at `l`?
    func joins(_ l: Int64, _ r: Int64) -> Bool {
      let aboveLower = lowerExclusive ? r > l + lower : r >= l + lower
      let belowUpper = upperExclusive ? r < l + upper : r <= l + upper
      return aboveLower && belowUpper
    }
  }

  static let cases: [Bounds] = [
    Bounds(lower: -5, upper: 5),  // mixed
    Bounds(lower: 2, upper: 9),  // positive
    Bounds(lower: -12, upper: -3),  // negative
    Bounds(lower: -4, upper: 4, lowerExclusive: true, upperExclusive: true),
    Bounds(lower: 0, upper: 0),
    Bounds(lower: 0, upper: 3, upperExclusive: true),
  ]

  /// The watermark bound of the generated streams (ms).
  static let outOfOrderness: Int64 = 8

  /// `count` events, about two per millisecond, each delayed by up to the
  /// watermark bound (so none is late), ids from `firstID`.
  static func events(count: Int, keys: Int, firstID: Int64, seed: UInt64) -> [Event] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { i in
      let delay = Int64(rng.next() % UInt64(outOfOrderness + 1))
      return Event(
        id: firstID + Int64(i), key: Int64(rng.next() % UInt64(keys)),
        timeMs: max(0, Int64(i / 2) - delay))
    }
  }

  /// The nested-loop join: `leftID,rightID` per pair.
  static func nestedLoop(_ lefts: [Event], _ rights: [Event], _ bounds: Bounds) -> [String] {
    // Grouped by key first only to keep debug builds fast; within a key, every pair is tried.
    let rightsByKey = Dictionary(grouping: rights, by: \.key)
    var pairs: [String] = []
    for l in lefts {
      for r in rightsByKey[l.key] ?? [] where bounds.joins(l.timeMs, r.timeMs) {
        pairs.append("\(l.id),\(r.id)")
      }
    }
    return pairs
  }

  static func configuration(_ backend: StateBackendConfiguration.Kind, parallelism: Int, root: URL)
    -> JobConfiguration
  {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    config.stateBackend =
      backend == .heap
      ? .heap : .rocksdb(directory: root.appendingPathComponent("state").path, cacheBytes: 4_096)
    return config
  }

  /// Runs the join of `lefts` and `rights` and returns its `leftID,rightID` pairs.
  static func join(
    _ lefts: [Event], _ rights: [Event], _ bounds: Bounds, config: JobConfiguration,
    rate: Double? = 40_000, meter: IntervalJoinStateMeter? = nil
  ) async throws -> [String] {
    let env = StreamEnvironment(configuration: config)
    let strategy = WatermarkStrategy<Event>.boundedOutOfOrderness(.milliseconds(outOfOrderness)) {
      $0.timeMs
    }.withInterval(.milliseconds(1))
    let left = env.generate(count: lefts.count, ratePerSecond: rate, name: "Left") { lefts[$0] }
      .assignTimestampsAndWatermarks(strategy)
    let right = env.generate(count: rights.count, ratePerSecond: rate, name: "Right") {
      rights[$0]
    }
    .assignTimestampsAndWatermarks(strategy)
    var joined = left.keyBy { $0.key }.intervalJoin(right.keyBy { $0.key })
      .between(.milliseconds(bounds.lower), .milliseconds(bounds.upper))
    if bounds.lowerExclusive { joined = joined.lowerBoundExclusive() }
    if bounds.upperExclusive { joined = joined.upperBoundExclusive() }
    let results = joined.process(meter: meter) { (l, r, context, out: inout Collector<String>) in
      precondition(context.key == l.key && context.key == r.key)
      precondition(context.leftTimestamp == l.timeMs && context.rightTimestamp == r.timeMs)
      precondition(context.timestamp == max(l.timeMs, r.timeMs))
      out.emit("\(l.id),\(r.id)")
    }.collect()
    _ = try await withTimeout(120) { try await env.execute() }
    return results.values
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2, 4])
  func matchesTheNestedLoopJoin(backend: StateBackendConfiguration.Kind, parallelism: Int)
    async throws
  {
    let root = try temporaryDirectory("tributary-interval-join")
    defer { try? FileManager.default.removeItem(at: root) }
    for (index, bounds) in Self.cases.enumerated() {
      let seed = UInt64(parallelism * 100 + index)
      let lefts = Self.events(count: 1_500, keys: 7, firstID: 0, seed: seed)
      let rights = Self.events(count: 1_500, keys: 7, firstID: 100_000, seed: seed + 50)
      let expected = Self.nestedLoop(lefts, rights, bounds)
      #expect(expected.count > 100, "\(bounds) joins enough pairs to mean something")
      let config = Self.configuration(
        backend, parallelism: parallelism, root: root.appendingPathComponent("\(index)"))
      let actual = try await Self.join(lefts, rights, bounds, config: config)
      expectSameElements(actual, expected)
    }
  }

  @Test func boundsApplyExclusiveEndsAndRejectEmptyIntervals() {
    let bounds = IntervalJoinBounds(
      lower: .milliseconds(-3), upper: .milliseconds(3), lowerExclusive: true,
      upperExclusive: true)
    #expect(bounds.lower == -2 && bounds.upper == 2)
    #expect(bounds.joins(left: 10, right: 8) && !bounds.joins(left: 10, right: 7))
    #expect(bounds.joins(left: 10, right: 12) && !bounds.joins(left: 10, right: 13))
    // A left record is late only when no right record within the watermark can still match.
    #expect(!bounds.isLateLeft(99, watermark: 100) && bounds.isLateLeft(98, watermark: 100))
    #expect(!bounds.isLateRight(99, watermark: 100) && bounds.isLateRight(98, watermark: 100))
    let negative = IntervalJoinBounds(lower: .milliseconds(-9), upper: .milliseconds(-4))
    #expect(!negative.isLateLeft(101, watermark: 100) && negative.isLateLeft(100, watermark: 100))
    #expect(!negative.isLateRight(92, watermark: 100) && negative.isLateRight(91, watermark: 100))
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func lateRecordsGoToTheSideOutputs(backend: StateBackendConfiguration.Kind) async throws {
    let root = try temporaryDirectory("tributary-interval-join-late")
    defer { try? FileManager.default.removeItem(at: root) }
    // In order, then (after 3,000 records, long after the watermark passed
    // them) five records per side far behind it.
    let count = 3_000
    let onTimeLefts = (0..<count).map {
      Event(id: Int64($0), key: Int64($0 % 3), timeMs: Int64($0))
    }
    let onTimeRights = (0..<count).map {
      Event(id: 100_000 + Int64($0), key: Int64($0 % 3), timeMs: Int64($0) + 1)
    }
    let lateLefts = (0..<5).map { Event(id: 50_000 + Int64($0), key: 1, timeMs: Int64($0 * 10)) }
    let lateRights = (0..<5).map {
      Event(id: 150_000 + Int64($0), key: 2, timeMs: Int64($0 * 10))
    }
    let lefts = onTimeLefts + lateLefts
    let rights = onTimeRights + lateRights
    let env = StreamEnvironment(
      configuration: Self.configuration(backend, parallelism: 1, root: root))
    let strategy = WatermarkStrategy<Event>.monotonic { $0.timeMs }.withInterval(.milliseconds(1))
    let leftLate = OutputTag<Event>("left-late")
    let rightLate = OutputTag<Event>("right-late")
    let left = env.generate(count: lefts.count, ratePerSecond: 10_000, name: "Left") { lefts[$0] }
      .assignTimestampsAndWatermarks(strategy)
    let right = env.generate(count: rights.count, ratePerSecond: 10_000, name: "Right") {
      rights[$0]
    }
    .assignTimestampsAndWatermarks(strategy)
    let joined = left.keyBy { $0.key }.intervalJoin(right.keyBy { $0.key })
      .between(.milliseconds(-2), .milliseconds(2))
      .sideOutputLeftLateData(leftLate)
      .sideOutputRightLateData(rightLate)
      .process { (l, r, _, out: inout Collector<String>) in out.emit("\(l.id),\(r.id)") }
    let pairs = joined.collect()
    let lateLeftIDs = joined.sideOutput(leftLate).map { $0.id }.collect()
    let lateRightIDs = joined.sideOutput(rightLate).map { $0.id }.collect()
    _ = try await withTimeout(120) { try await env.execute() }
    expectSameElements(
      pairs.values,
      Self.nestedLoop(onTimeLefts, onTimeRights, Bounds(lower: -2, upper: 2)))
    expectSameElements(lateLeftIDs.values, lateLefts.map(\.id))
    expectSameElements(lateRightIDs.values, lateRights.map(\.id))
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func stateStaysBoundedByTheIntervalNotTheStream(backend: StateBackendConfiguration.Kind)
    async throws
  {
    let root = try temporaryDirectory("tributary-interval-join-bounded")
    defer { try? FileManager.default.removeItem(at: root) }
    let bounds = Bounds(lower: -5, upper: 5)
    var peaks: [Int] = []
    for (run, count) in [1_000, 10_000].enumerated() {
      let lefts = Self.events(count: count, keys: 20, firstID: 0, seed: 7)
      let rights = Self.events(count: count, keys: 20, firstID: 1_000_000, seed: 8)
      let meter = IntervalJoinStateMeter()
      var config = JobConfiguration()
      config.batchSize = 64
      config.stateBackend =
        backend == .heap ? .heap : .rocksdb(directory: root.appendingPathComponent("\(run)").path)
      let actual = try await Self.join(
        lefts, rights, bounds, config: config, rate: 5_000, meter: meter)
      expectSameElements(actual, Self.nestedLoop(lefts, rights, bounds))
      #expect(meter.buffered == 0, "the final watermark cleaned every buffer")
      peaks.append(meter.peak)
    }
    print(
      "interval join \(backend): peak buffered records \(peaks[0]) (1,000 per side), "
        + "\(peaks[1]) (10,000 per side)")
    // Ten times the input, about the same state: bounded by the interval, the
    // out-of-orderness and the watermark's delay (tens of records), not by the stream.
    #expect(peaks[1] < 2 * peaks[0] + 100, "peaks \(peaks)")
    #expect(peaks[1] < 2 * 10_000 / 10, "peaks \(peaks)")
  }
}
