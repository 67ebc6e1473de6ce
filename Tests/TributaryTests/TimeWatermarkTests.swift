import Foundation
import Synchronization
import Testing

@testable import Tributary

@Suite struct TimeWatermarkTests {
  /// A watermark assigner driven directly, on a manual clock.
  final class AssignerHarness {
    let clock = ManualProcessingClock(millis: 1_000)
    let assigner: WatermarkAssigner<Int64>

    init(_ strategy: WatermarkStrategy<Int64>) throws {
      assigner = WatermarkAssigner(strategy: strategy)
      try assigner.open(
        OperatorContext(
          operatorName: "wm", subtaskIndex: 0, parallelism: 1, maxParallelism: 128,
          processingClock: clock))
    }

    /// Feeds a batch; returns the watermark emitted (and clears it), if any.
    func batch(_ timestamps: [Int64]) throws -> Int64? {
      var out: [Int64] = []
      try assigner.processBatch(timestamps, into: &out)
      #expect(out == timestamps, "records pass through unchanged")
      return take()
    }

    func tick(after millis: Int64 = 0) throws -> Int64? {
      clock.advance(by: millis)
      var out: [Int64] = []
      try assigner.onTick(into: &out)
      #expect(out.isEmpty)
      return take()
    }

    func take() -> Int64? {
      let signals = assigner.controlSignals!
      defer { signals.watermark = nil }
      return signals.watermark
    }

    func takeIdle() -> Bool? {
      let signals = assigner.controlSignals!
      defer { signals.idle = nil }
      return signals.idle
    }
  }

  @Test func ascendingTimestampsReadOnlyTheLastRecordOfABatch() throws {
    let reads = Mutex(0)
    let strategy = WatermarkStrategy<Int64>.boundedOutOfOrderness(.milliseconds(10)) {
      reads.withLock { $0 += 1 }
      return $0
    }.withAscendingTimestamps()
    #expect(strategy.ascending && strategy.maxOutOfOrderness == 10 && strategy.interval == 200)
    #expect(strategy.withIdleness(.seconds(1)).ascending, "kept by the other modifiers")
    let h = try AssignerHarness(strategy)
    #expect(try h.batch([10, 20, 30, 100]) == nil)
    #expect(reads.withLock { $0 } == 1, "one timestamp read per batch")
    #expect(try h.tick(after: 200) == 89, "the last record, 100, less bound 10, less 1")
    #expect(try h.batch([]) == nil)
    #expect(try h.batch([150, 200]) == nil)
    #expect(try h.tick(after: 200) == 189)
  }

  @Test func boundedOutOfOrdernessIsPeriodicAndNeverGoesBackwards() throws {
    let h = try AssignerHarness(.boundedOutOfOrderness(.milliseconds(10)) { $0 })
    #expect(try h.batch([100, 40]) == nil, "the first interval (200 ms) has not passed")
    #expect(try h.tick(after: 199) == nil)
    #expect(try h.tick(after: 1) == 89, "max 100 - bound 10 - 1")
    #expect(try h.batch([50]) == nil)
    #expect(try h.tick(after: 200) == nil, "a smaller max timestamp never lowers the watermark")
    #expect(try h.tick(after: 200) == nil, "no new watermark without progress")
    #expect(try h.batch([300, 120]) == nil)
    #expect(try h.tick(after: 200) == 289)
    // A batch arriving after the interval emits directly.
    h.clock.advance(by: 250)
    #expect(try h.batch([400]) == 389)
    var out: [Int64] = []
    try h.assigner.endOfInput(into: &out)
    #expect(h.take() == .max, "end of input: watermark jumps to Int64.max")
  }

  @Test func zeroIntervalEmitsAfterEveryAdvancingBatch() throws {
    let h = try AssignerHarness(.monotonic { $0 }.withInterval(.zero))
    #expect(try h.batch([5]) == 4, "monotonic: max - 1")
    #expect(try h.batch([5]) == nil)
    #expect(try h.batch([3]) == nil)
    #expect(try h.batch([9, 7]) == 8)
    #expect(try h.tick() == nil)
    var sequence: [Int64] = []
    var rng = SplitMix64(seed: 3)
    var last = Int64.min
    var backwards = 0
    for _ in 0..<1_000 {
      let ts = Int64(rng.next() % 10_000)
      if let wm = try h.batch([ts]) {
        if wm <= last { backwards += 1 }
        last = wm
        sequence.append(wm)
      }
    }
    #expect(backwards == 0)
    #expect(!sequence.isEmpty && sequence.last! <= 9_998)
  }

  @Test func noWatermarkBeforeTheFirstRecord() throws {
    let h = try AssignerHarness(.monotonic { $0 })
    #expect(try h.tick(after: 10_000) == nil)
    #expect(try h.batch([]) == nil)
  }

  @Test func idlenessIsDeclaredAfterTheTimeoutAndClearedByARecord() throws {
    let h = try AssignerHarness(
      .boundedOutOfOrderness(.milliseconds(5)) { $0 }.withIdleness(.milliseconds(500))
        .withInterval(.milliseconds(100)))
    #expect(try h.batch([10]) == nil)
    #expect(try h.tick(after: 499) == 4)
    #expect(h.takeIdle() == nil)
    #expect(try h.tick(after: 1) == nil)
    #expect(h.takeIdle() == true, "500 ms without records")
    #expect(try h.tick(after: 1_000) == nil)
    #expect(h.takeIdle() == nil, "idleness is reported once")
    h.clock.advance(by: 100)
    #expect(try h.batch([20]) == 14, "a record ends idleness (and the interval has passed)")
    #expect(h.takeIdle() == false)
  }

  @Test func durationMilliseconds() {
    #expect(Duration.seconds(2).milliseconds == 2_000)
    #expect(Duration.microseconds(1_500).milliseconds == 1)
    #expect(Duration.milliseconds(-3).milliseconds == -3)
  }

  /// Watermarks seen by a keyed function after a union of two inputs (one
  /// far ahead in event time) never go backwards and are the minimum over
  /// the inputs: no record is ever behind the watermark it is processed at.
  @Test(arguments: [1, 2])
  func pipelineWatermarksAreMonotonicAndTheMinimumOverInputs(parallelism: Int) async throws {
    struct Seen: Sendable {
      var subtask: Int
      var watermark: Int64
      var ts: Int64
    }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.batchSize = 16
    let strategy = WatermarkStrategy<Reading>.monotonic { $0.ts }.withInterval(.zero)
    let count = 20_000
    let fast = env.generate(count: count) {
      Reading(key: $0 % 5, ts: Int64($0) * 1_000, value: 0, id: $0)
    }
    .assignTimestampsAndWatermarks(strategy)
    let slow = env.generate(count: count) { Reading(key: $0 % 5, ts: Int64($0), value: 1, id: $0) }
      .assignTimestampsAndWatermarks(strategy)
    let out = fast.union(slow).keyBy { $0.key }
      .process { (r: Reading, context: KeyedContext<Int>, out: inout Collector<Seen>) in
        out.emit(
          Seen(
            subtask: context.operatorContext.subtaskIndex, watermark: context.currentWatermark,
            ts: context.timestamp ?? .min))
      }
      .collect()
    _ = try await withTimeout(60) { try await env.execute() }
    let seen = out.values
    #expect(seen.count == 2 * count)
    var last: [Int: Int64] = [:]
    var backwards = 0
    var behind = 0
    var advanced = 0
    for s in seen {
      if let previous = last[s.subtask], s.watermark < previous { backwards += 1 }
      last[s.subtask] = s.watermark
      if s.watermark >= s.ts { behind += 1 }
      if s.watermark > .min { advanced += 1 }
    }
    #expect(backwards == 0, "watermarks never go backwards")
    #expect(behind == 0, "the watermark is the minimum over inputs: no record is behind it")
    #expect(advanced > 0, "watermarks reached the keyed function")
  }
}
