import Foundation
import Testing

@testable import Tributary

/// Every window kind and every window function against an independently
/// computed expectation, on generated out-of-order data, on both backends.
@Suite struct WindowPipelineTests {
  enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case tumbling, tumblingOffset, sliding, slidingOffset, session
    var testDescription: String { rawValue }

    static let size: Int64 = 100
    static let offset: Int64 = 30
    static let slide: Int64 = 50
    static let gap: Int64 = 40

    var assigner: WindowAssigner {
      switch self {
      case .tumbling: return .tumbling(.milliseconds(Self.size))
      case .tumblingOffset:
        return .tumbling(.milliseconds(Self.size), offset: .milliseconds(Self.offset))
      case .sliding:
        return .sliding(.milliseconds(3 * Self.slide), slide: .milliseconds(Self.slide))
      case .slidingOffset:
        return .sliding(
          .milliseconds(3 * Self.slide), slide: .milliseconds(Self.slide),
          offset: .milliseconds(Self.offset))
      case .session: return .session(gap: .milliseconds(Self.gap))
      }
    }

    /// The windows of `ts`, computed without the library.
    func windows(_ ts: Int64) -> [(Int64, Int64)] {
      func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { (a - ((a % b) + b) % b) / b }
      switch self {
      case .tumbling, .tumblingOffset:
        let offset = self == .tumbling ? 0 : Self.offset
        let start = floorDiv(ts - offset, Self.size) * Self.size + offset
        return [(start, start + Self.size)]
      case .sliding, .slidingOffset:
        let offset = self == .sliding ? 0 : Self.offset
        let size = 3 * Self.slide
        var result: [(Int64, Int64)] = []
        // Every start k*slide+offset with start <= ts < start+size.
        var k = floorDiv(ts - offset - size, Self.slide)
        while k * Self.slide + offset <= ts {
          let start = k * Self.slide + offset
          if ts < start + size { result.append((start, start + size)) }
          k += 1
        }
        return result
      case .session:
        preconditionFailure("sessions are computed by expectedSessions")
      }
    }
  }

  @Test(arguments: Kind.allCases, windowBackendCases)
  func windowFunctionsMatchIndependentExpectation(
    kind: Kind, backend: (StateConfig, Int)
  ) async throws {
    let (config, parallelism) = backend
    let directory = try temporaryDirectory("tributary-window")
    defer { try? FileManager.default.removeItem(at: directory) }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.batchSize = 64
    let bound: Int64 = 50
    let readings = outOfOrderReadings(
      count: 3_000, keys: 7, step: 3, bound: bound,
      seed: 0xC0FFEE &+ UInt64(Kind.allCases.firstIndex(of: kind)!))
    let strategy = WatermarkStrategy<Reading>
      .boundedOutOfOrderness(.milliseconds(bound)) { $0.ts }
      .withInterval(.zero)
    // Each source subtask gets an interleaved share in increasing nominal
    // time, so the data stays within the bound per subtask.
    let stream = env.fromCollection(readings).assignTimestampsAndWatermarks(strategy)
    let keyed = stream.keyBy { $0.key }
    let assigner = kind.assigner

    let lateTag = LateDataTag<Reading>()
    let withMetadata = keyed.window(assigner).sideOutputLateData(lateTag)
      .aggregate(name: "AggregateProcess", CountSum()) { key, window, acc in
        WindowResult(
          key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second)
      }
    let late = stream.lateRecords(lateTag).collect()
    let metadataOut = withMetadata.collect()
    let aggregateOut = keyed.window(assigner).aggregate(name: "Aggregate", CountSum()).collect()
    let reduceOut = keyed.window(assigner).reduce { a, b in
      Reading(
        key: a.key, ts: min(a.ts, b.ts), value: a.value + b.value, id: min(a.id, b.id), n: a.n + b.n
      )
    }.collect()
    let processOut = keyed.window(assigner).process {
      (key: Int, window: TimeWindow, records: [Reading], out: inout Collector<WindowResult>) in
      out.emit(
        WindowResult(
          key: key, start: window.start, end: window.end, count: Int64(records.count),
          sum: records.reduce(0) { $0 + $1.value }, ids: records.map(\.id).sorted()))
    }.collect()
    _ = try await withTimeout(60) { try await env.execute() }

    let full =
      kind == .session
      ? expectedSessions(readings, gap: Kind.gap, withIds: true)
      : expectedWindows(readings, withIds: true, windows: kind.windows)
    #expect(late.values.isEmpty, "no record may be late with bounded out-of-orderness")
    expectSameElements(processOut.values, full)
    expectSameElements(
      metadataOut.values,
      full.map(\.withoutIds))
    expectSameElements(
      aggregateOut.values.map {
        WindowResult(key: 0, start: 0, end: 0, count: $0.first, sum: $0.second)
      },
      full.map { WindowResult(key: 0, start: 0, end: 0, count: $0.count, sum: $0.sum) })
    // Reduce: key, earliest timestamp, count and sum of each window.
    expectSameElements(
      reduceOut.values.map {
        WindowResult(key: $0.key, start: $0.ts, end: Int64($0.id), count: $0.n, sum: $0.value)
      },
      full.map { r in
        WindowResult(
          key: r.key, start: r.ids.map { readings[$0].ts }.min()!, end: Int64(r.ids.min()!),
          count: r.count, sum: r.sum)
      })
    // Sanity of the generated data: sessions both merge and split, sliding
    // windows overlap.
    if kind == .session {
      #expect(full.count > 7 && full.count < readings.count / 2)
    }
  }

  /// countWindow(n): global windows fired and purged every n records of a
  /// key, in arrival order; a key's last partial window never fires.
  @Test(arguments: windowBackendCases)
  func countWindowsChunkEachKeysRecords(backend: (StateConfig, Int)) async throws {
    let (config, parallelism) = backend
    let directory = try temporaryDirectory("tributary-window-count")
    defer { try? FileManager.default.removeItem(at: directory) }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.batchSize = 64
    let n = 5
    let readings = outOfOrderReadings(count: 2_000, keys: 11, step: 1, bound: 10, seed: 77)
    // One source subtask: each key's arrival order is the collection order.
    let keyed = env.fromCollection(readings).parallelism(1).keyBy { $0.key }
    let processOut = keyed.countWindow(n).process {
      (key: Int, window: TimeWindow, records: [Reading], out: inout Collector<WindowResult>) in
      out.emit(
        WindowResult(
          key: key, start: window.start, end: window.end, count: Int64(records.count),
          sum: records.reduce(0) { $0 + $1.value }, ids: records.map(\.id)))
    }.collect()
    let aggregateOut = keyed.countWindow(n).aggregate(CountSum()) { key, window, acc in
      WindowResult(
        key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second)
    }.collect()
    let reduceOut = keyed.countWindow(n).reduce { a, b in
      Reading(key: a.key, ts: a.ts, value: a.value + b.value, id: min(a.id, b.id), n: a.n + b.n)
    }.collect()
    _ = try await withTimeout(60) { try await env.execute() }

    var expected: [WindowResult] = []
    for (key, rs) in Dictionary(grouping: readings, by: \.key) {
      let ordered = rs.sorted { $0.id < $1.id }
      for chunk in stride(from: 0, to: ordered.count - n + 1, by: n) {
        let part = ordered[chunk..<chunk + n]
        expected.append(
          WindowResult(
            key: key, start: .min, end: .max, count: Int64(n),
            sum: part.reduce(0) { $0 + $1.value }, ids: part.map(\.id)))
      }
    }
    #expect(expected.count > 300)
    expectSameElements(processOut.values, expected)
    expectSameElements(
      aggregateOut.values,
      expected.map(\.withoutIds))
    expectSameElements(
      reduceOut.values.map {
        WindowResult(key: $0.key, start: Int64($0.id), end: 0, count: $0.n, sum: $0.value)
      },
      expected.map {
        WindowResult(key: $0.key, start: Int64($0.ids[0]), end: 0, count: $0.count, sum: $0.sum)
      })
  }
}
