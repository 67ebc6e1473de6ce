import Foundation
import Testing

@testable import Tributary

/// Sliding windows kept per slice (``WindowSlices``): the slice arithmetic
/// agrees with the sliding assigner, and the window operator built
/// `sliceable` gives, across a snapshot and restore taken after some windows
/// fired, exactly the windows and sums that the per-window definition gives.
@Suite struct WindowSlicesTests {
  @Test func slicesOfTenSecondWindowsEveryTwo() throws {
    let slices = try #require(WindowSlices(size: 10_000, slide: 2_000, offset: 0))
    #expect(slices.slicesPerWindow == 5)
    #expect(slices.slice(containing: 4_999) == TimeWindow(start: 4_000, end: 6_000))
    #expect(slices.slice(containing: -1) == TimeWindow(start: -2_000, end: 0))
    var windows: [(end: Int64, index: Int)] = []
    slices.forEachWindow(of: TimeWindow(start: 4_000, end: 6_000)) { windows.append(($0, $1)) }
    #expect(windows.map(\.end) == [5_999, 7_999, 9_999, 11_999, 13_999])
    #expect(windows.map(\.index) == [4, 3, 2, 1, 0])
    #expect(slices.lastWindowEnd(of: TimeWindow(start: 4_000, end: 6_000)) == 13_999)
    #expect(slices.window(endingAt: 13_999) == TimeWindow(start: 4_000, end: 14_000))
    #expect(WindowSlices(size: 10, slide: 3, offset: 0) == nil, "size not a multiple")
    #expect(WindowSlices(size: 10, slide: 10, offset: 0) == nil, "tumbling: one slice")
    #expect(WindowSlices(size: 650, slide: 10, offset: 0) == nil, "more than 64 slices")
  }

  @Test(
    arguments: [(10_000, 2_000, 0), (6, 2, 1), (9, 3, -4), (64, 1, 0)] as [(Int64, Int64, Int64)])
  func agreesWithTheSlidingAssigner(size: Int64, slide: Int64, offset: Int64) throws {
    let slices = try #require(WindowSlices(size: size, slide: slide, offset: offset))
    let assigner = WindowAssigner.sliding(
      .milliseconds(size), slide: .milliseconds(slide), offset: .milliseconds(offset))
    var rng = SplitMix64(seed: UInt64(size * 31 + slide))
    for _ in 0..<500 {
      let timestamp = Int64(rng.next() % 100_000) - 50_000
      var fromAssigner: [TimeWindow] = []
      assigner.forEachWindow(timestamp) { fromAssigner.append($0) }
      let slice = slices.slice(containing: timestamp)
      #expect(slice.start <= timestamp && timestamp < slice.end)
      var fromSlices: [TimeWindow] = []
      slices.forEachWindow(of: slice) { end, index in
        let window = slices.window(endingAt: end)
        fromSlices.append(window)
        #expect(slices.slice(index, of: window) == slice)
      }
      #expect(Set(fromAssigner) == Set(fromSlices))
    }
  }

  typealias Operator = WindowOperator<Int, Reading, Pair<Int64, Int64>, WindowResult>

  static func makeOperator(sliceable: Bool) -> Operator {
    Operator(
      assigner: .sliding(.seconds(10), slide: .seconds(2)), trigger: nil, allowedLateness: 0,
      keySelector: { $0.key }, timestampOf: { $0.ts },
      add: { record, acc in
        let current = acc ?? Pair(0, 0)
        acc = Pair(current.first + 1, current.second + record.value)
      },
      merge: { Pair($0.first + $1.first, $0.second + $1.second) },
      emit: { key, window, acc, out in
        out.emit(
          WindowResult(
            key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second))
      },
      late: nil, sliceable: sliceable)
  }

  /// Batches of records up to 6 s out of order, each followed by a watermark
  /// 1 s behind the largest timestamp so far: some records are late for
  /// some of their windows (or all of them).
  static func batches(seed: UInt64) -> [(records: [Reading], watermark: Int64)] {
    var rng = SplitMix64(seed: seed)
    var batches: [(records: [Reading], watermark: Int64)] = []
    var id = 0
    var largest = Int64.min
    for b in 0..<80 {
      var records: [Reading] = []
      for _ in 0..<25 {
        let nominal = Int64(b) * 500 + Int64(rng.next() % 500)
        let ts = nominal - Int64(rng.next() % 6_000)
        records.append(
          Reading(key: Int(rng.next() % 60), ts: ts, value: Int64(rng.next() % 100), id: id))
        id += 1
        largest = max(largest, ts)
      }
      batches.append((records, largest - 1_000))
    }
    return batches
  }

  /// The per-window definition: a record counts in each of its windows that
  /// the watermark had not passed when it came; every window with a record
  /// fires once.
  static func expected(_ batches: [(records: [Reading], watermark: Int64)]) -> [WindowResult] {
    var windows: [String: WindowResult] = [:]
    var watermark = Int64.min
    for batch in batches {
      for record in batch.records {
        var start = record.ts - ((record.ts % 2_000) + 2_000) % 2_000
        while start > record.ts - 10_000 {
          let end = start + 10_000
          if end - 1 > watermark {
            let id = "\(record.key)/\(start)"
            var result =
              windows[id] ?? WindowResult(key: record.key, start: start, end: end, count: 0, sum: 0)
            result.count += 1
            result.sum += record.value
            windows[id] = result
          }
          start -= 2_000
        }
      }
      watermark = max(watermark, batch.watermark)
    }
    return windows.values.sorted()
  }

  /// Runs the batches, snapshotting after batch `restoreAfter` into a new
  /// operator that is sent the last watermark again (as a restarted job's
  /// sources send theirs), then ends the input.
  static func run(
    _ batches: [(records: [Reading], watermark: Int64)], config: StateConfig, sliceable: Bool,
    restoreAfter: Int?, sliceableAfterRestore: Bool? = nil
  ) throws -> [WindowResult] {
    let root = try temporaryDirectory("tributary-window-slices")
    defer { try? FileManager.default.removeItem(at: root) }
    func context(_ run: Int, restored: [[UInt8]]) -> OperatorContext {
      OperatorContext(
        operatorName: "sliced", subtaskIndex: 0, parallelism: 1, maxParallelism: 128,
        stateBackend: config.configuration(directory: root.appendingPathComponent("\(run)").path),
        restoredState: restored)
    }
    var op = makeOperator(sliceable: sliceable)
    try op.open(context(0, restored: []))
    var results: [WindowResult] = []
    var output: [WindowResult] = []
    for (index, batch) in batches.enumerated() {
      try op.processBatch(batch.records, into: &output)
      _ = try op.processWatermark(batch.watermark, into: &output)
      if index == restoreAfter {
        let write = try #require(try op.prepareSnapshot(SnapshotRequest(checkpoint: 1)))
        let bytes = try write().bytes
        op.close()
        op = makeOperator(sliceable: sliceableAfterRestore ?? sliceable)
        try op.open(context(1, restored: [bytes]))
        _ = try op.processWatermark(batch.watermark, into: &output)
      }
      results += output
      output = []
    }
    try op.endOfInput(into: &output)
    op.close()
    return (results + output).sorted()
  }

  @Test(arguments: [StateConfig.heap, .rocksTinyCache, .rocksDefaultCache])
  func slicedWindowsFireEachWindowOnceAcrossARestore(config: StateConfig) throws {
    for seed in [UInt64(1), 2, 3] {
      let batches = Self.batches(seed: seed)
      let expected = Self.expected(batches)
      #expect(expected.count > 100)
      #expect(
        try Self.run(batches, config: config, sliceable: false, restoreAfter: nil) == expected,
        "the per-window operator and the expectation agree")
      for restoreAfter in [nil, 20, 41] as [Int?] {
        let sliced = try Self.run(
          batches, config: config, sliceable: true, restoreAfter: restoreAfter)
        #expect(
          sliced == expected,
          "seed \(seed), restored after batch \(String(describing: restoreAfter))")
      }
    }
  }

  /// A job restored from a snapshot taken before its sliding windows were
  /// sliced keeps per-window state: each window still fires once, whole.
  @Test(arguments: [StateConfig.heap, .rocksTinyCache])
  func aSnapshotOfPerWindowStateRestoresIntoASliceableOperator(config: StateConfig) throws {
    let batches = Self.batches(seed: 4)
    let restored = try Self.run(
      batches, config: config, sliceable: false, restoreAfter: 30, sliceableAfterRestore: true)
    #expect(restored == Self.expected(batches))
  }
}
