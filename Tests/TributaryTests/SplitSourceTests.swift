import Foundation
import Synchronization
import Testing

@testable import Tributary

#if canImport(Glibc)
  import Glibc
#endif

/// The split-source runtime (``StreamEnvironment/splitSource(name:discovery:bounded:watermarks:timestamp:open:)``)
/// over in-memory splits: positions per split in checkpoints, re-assignment
/// when restored at another parallelism, per-split watermarks, side outputs.
@Suite struct SplitSourceTests {
  typealias Recovery = CheckpointRecoveryTests
  static let splitCount = 4
  static let perSplit = 6_000

  /// Record `offset` of split `split`: timestamps are monotonic per split and
  /// skewed across splits by 2 s per split.
  static func reading(split: Int, offset: Int) -> Recovery.Reading {
    Recovery.Reading(
      key: Int64((offset * 7 + split) % 23), timestamp: Int64(split * 2_000 + offset / 10),
      value: Int64(offset % 11))
  }

  /// A split of `perSplit` generated records, read at most 100 per call and
  /// paced (0.3 ms per call) so checkpoints fall inside the input.
  final class GeneratedSplit: SourceSplit {
    let split: Int
    var next: Int
    init(split: Int, position: [UInt8]?) throws {
      self.split = split
      next = try position.map { Int(try Int64.decode($0)) } ?? 0
    }
    func read(into buffer: inout [(Int, Recovery.Reading)], limit: Int) throws -> SourceStatus {
      usleep(300)
      let end = min(SplitSourceTests.perSplit, next + min(limit, 100))
      for offset in next..<end {
        buffer.append(
          (split * 1_000_000 + offset, SplitSourceTests.reading(split: split, offset: offset)))
      }
      next = end
      return next >= SplitSourceTests.perSplit ? .finished : .more
    }
    var position: [UInt8] { Int64(next).encodedBytes() }
    func close() {}
  }

  static func expectedLines() -> [String] {
    var expected: [String: (Int64, Int64)] = [:]
    for split in 0..<splitCount {
      for offset in 0..<perSplit {
        let r = reading(split: split, offset: offset)
        let id = "\((r.timestamp / 100 + 1) * 100),\(r.key)"
        let previous = expected[id] ?? (0, 0)
        expected[id] = (previous.0 + 1, previous.1 + r.value)
      }
    }
    return expected.map { "\($0.key),\($0.value.0),\($0.value.1)" }
  }

  static func run(
    root: URL, parallelism: Int, failAt: Int?, log: LogLines
  ) async throws {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 128
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.logger = log.logger
    let env = StreamEnvironment(configuration: config)
    let injector = Recovery.FailureInjector(failAt.map { [Int64($0)] } ?? [])
    let discovery = SplitDiscovery { (0..<splitCount).map { "events.\($0)" } }
    env.splitSource(
      name: "Splits", discovery: discovery, bounded: true,
      watermarks: SplitWatermarkOptions(maxOutOfOrderness: .zero),
      timestamp: { $0.1.timestamp }
    ) { name, position, _ in
      try GeneratedSplit(split: Int(name.split(separator: ".")[1])!, position: position)
    }
    .map { pair in
      try injector.check(Int64(pair.0))
      return pair.1
    }
    .withTimestamps { $0.timestamp }
    .keyBy { $0.key }
    .window(.tumbling(.milliseconds(100)))
    .aggregate(Recovery.CountSum()) { key, window, acc in
      "\(window.end),\(key),\(acc.first),\(acc.second)"
    }
    .writeTransactional(directory: root.appendingPathComponent("out").path) { $0 }
    _ = try await withTimeout(120) { try await env.execute() }
  }

  @Test func restoredAtOneThenThreeThenTwoSubtasksEverySplitResumesExactlyAfterItsPosition()
    async throws
  {
    let root = try temporaryDirectory("tributary-splits")
    defer { try? FileManager.default.removeItem(at: root) }
    let log = LogLines()
    await #expect(throws: JobError.self) {
      try await Self.run(root: root, parallelism: 1, failAt: 1_002_000, log: log)
    }
    #expect(newestCompleteCheckpoint(in: root.appendingPathComponent("checkpoints")) > 0)
    await #expect(throws: JobError.self) {
      try await Self.run(root: root, parallelism: 3, failAt: 2_004_500, log: log)
    }

    try await Self.run(root: root, parallelism: 2, failAt: nil, log: log)
    #expect(log.lines.filter { $0.hasPrefix("resuming from checkpoint") }.count == 2)
    // Skewed splits with zero out-of-orderness: a watermark over the merged
    // stream would drop most records as late; per split, none is.
    expectSameElements(
      try Recovery.committedLines(root.appendingPathComponent("out")), Self.expectedLines())
  }

  @Test func moreSubtasksThanSplitsStillEndsAndLosesNothing() async throws {
    let root = try temporaryDirectory("tributary-splits-wide")
    defer { try? FileManager.default.removeItem(at: root) }
    try await Self.run(
      root: root, parallelism: 5, failAt: nil, log: LogLines())
    expectSameElements(
      try Recovery.committedLines(root.appendingPathComponent("out")), Self.expectedLines())
  }

  @Test func aSourceEmitsToSideOutputsLikeAnOperator() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let odd = OutputTag<Int>("odd")
    let source = env.source(name: "Numbers") { context -> SourceReader<Int> in
      var next = context.subtaskIndex
      let side = context.sideOutputs
      return SourceReader { buffer, limit in
        var emitted = 0
        while next < 1_000 && emitted < limit {
          if next % 2 == 0 { buffer.append(next) } else { side?.emit(next, to: odd) }
          next += context.parallelism
          emitted += 1
        }
        return next >= 1_000 ? .finished : .more
      }
    }
    let evens = source.collect()
    let odds = source.sideOutput(odd).collect()
    _ = try await withTimeout(60) { try await env.execute() }
    #expect(evens.values.sorted() == Array(stride(from: 0, to: 1_000, by: 2)))
    #expect(odds.values.sorted() == Array(stride(from: 1, to: 1_000, by: 2)))
  }
}
