import Testing

@testable import Tributary

/// ``SplitWatermarks``: per-split bounded out-of-orderness, the minimum over
/// active splits, idleness per split, and the end of splits.
@Suite struct SplitWatermarksTests {
  @Test func theWatermarkIsTheMinimumOverSplitsSoSkewedSplitsAreNotLate() {
    var marks = SplitWatermarks(splits: 2, maxOutOfOrderness: 5, idleTimeout: nil, now: 0)
    // Split 1 runs 1000 ms ahead; nothing is emitted until split 0 has records.
    #expect(marks.records(split: 1, maxTimestamp: 1_000, now: 0) == [])
    #expect(marks.records(split: 0, maxTimestamp: 10, now: 0) == [.watermark(4)])
    #expect(marks.records(split: 1, maxTimestamp: 2_000, now: 0) == [])
    #expect(marks.records(split: 0, maxTimestamp: 50, now: 0) == [.watermark(44)])
    // A smaller timestamp never moves the watermark back.
    #expect(marks.records(split: 0, maxTimestamp: 20, now: 0) == [])
    #expect(marks.current == 44)
  }

  @Test func aSilentSplitBecomesIdleAndStopsHoldingTheWatermarkBack() {
    var marks = SplitWatermarks(splits: 2, maxOutOfOrderness: 0, idleTimeout: 100, now: 0)
    #expect(marks.records(split: 0, maxTimestamp: 500, now: 10) == [])
    #expect(marks.tick(now: 99) == [], "split 1 is silent for 99 ms only")
    #expect(marks.tick(now: 100) == [.watermark(499)], "split 1 idle: split 0 alone decides")
    // Split 1 returns: active again, and it holds the watermark at its own.
    #expect(marks.records(split: 1, maxTimestamp: 300, now: 120) == [])
    #expect(marks.records(split: 0, maxTimestamp: 900, now: 130) == [])
    #expect(marks.records(split: 1, maxTimestamp: 700, now: 140) == [.watermark(699)])
    // Both silent: the subtask is idle (after its furthest watermark).
    let outputs = marks.tick(now: 400)
    #expect(outputs.last == .idleness(true))
    #expect(marks.records(split: 0, maxTimestamp: 1_000, now: 410).first == .idleness(false))
  }

  @Test func finishedSplitsReleaseTheWatermarkAndTheLastOneEndsEventTime() {
    var marks = SplitWatermarks(splits: 3, maxOutOfOrderness: 0, idleTimeout: nil, now: 0)
    _ = marks.records(split: 0, maxTimestamp: 100, now: 0)
    _ = marks.records(split: 1, maxTimestamp: 200, now: 0)
    #expect(marks.finish(split: 2) == [.watermark(99)], "split 2 ended without records")
    #expect(marks.finish(split: 0) == [.watermark(199)])
    #expect(marks.finish(split: 1) == [.watermark(.max)])
    #expect(marks.records(split: 1, maxTimestamp: 300, now: 0) == [], "ended splits are ignored")
  }

  @Test func aSubtaskWithoutSplitsIsIdleOnce() {
    var marks = SplitWatermarks(splits: 0, maxOutOfOrderness: 0, idleTimeout: nil, now: 0)
    #expect(marks.tick(now: 0) == [.idleness(true)])
    #expect(marks.tick(now: 10) == [])
  }

  @Test func splitsAreDealtRoundRobinOverTheSortedList() throws {
    let splits = ["events.0", "events.1", "events.2", "events.3"]
    #expect(
      SplitDiscovery.assigned(splits, subtask: 0, parallelism: 3) == ["events.0", "events.3"])
    #expect(SplitDiscovery.assigned(splits, subtask: 2, parallelism: 3) == ["events.2"])
    #expect(SplitDiscovery.assigned(splits, subtask: 4, parallelism: 5) == [])
    let discovery = SplitDiscovery { ["b", "a", "b"] }
    #expect(try discovery.splits() == ["a", "b"])
  }
}
