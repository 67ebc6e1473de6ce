import Foundation
import Testing

@testable import Tributary

@Suite struct WindowAssignerTests {
  func windows(_ assigner: WindowAssigner, _ ts: Int64) -> [TimeWindow] {
    var result: [TimeWindow] = []
    assigner.forEachWindow(ts) { result.append($0) }
    return result.sorted()
  }

  /// Independent: every window `[k*slide+offset, +size)` containing `ts`.
  func reference(_ ts: Int64, size: Int64, slide: Int64, offset: Int64) -> [TimeWindow] {
    func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { (a - ((a % b) + b) % b) / b }
    var result: [TimeWindow] = []
    var start = floorDiv(ts - size - offset, slide) * slide + offset
    while start <= ts {
      if start + size > ts { result.append(TimeWindow(start: start, end: start + size)) }
      start += slide
    }
    return result.sorted()
  }

  @Test(arguments: [
    (100, 100, 0), (100, 100, 30), (70, 30, 0), (90, 30, 10), (150, 50, 130), (10, 10, -3),
  ])
  func tumblingAndSlidingWindowsMatchReference(size: Int64, slide: Int64, offset: Int64) {
    let assigner: WindowAssigner =
      size == slide
      ? .tumbling(.milliseconds(size), offset: .milliseconds(offset))
      : .sliding(.milliseconds(size), slide: .milliseconds(slide), offset: .milliseconds(offset))
    var rng = SplitMix64(seed: UInt64(size * 1_000 + slide * 10 + offset + 100))
    var mismatches = 0
    var firstMismatch = ""
    for _ in 0..<2_000 {
      let ts = Int64(rng.next() % 20_000) - 10_000  // negative timestamps too
      let got = windows(assigner, ts)
      let want = reference(ts, size: size, slide: slide, offset: offset)
      if got != want {
        mismatches += 1
        if firstMismatch.isEmpty { firstMismatch = "ts \(ts): got \(got), want \(want)" }
      }
    }
    #expect(mismatches == 0, "\(firstMismatch)")
  }

  @Test func sessionAndGlobalWindows() {
    #expect(
      windows(.session(gap: .milliseconds(40)), 1_000) == [TimeWindow(start: 1_000, end: 1_040)])
    #expect(windows(.global, 5) == [.global])
    #expect(TimeWindow.global.maxTimestamp == .max)
    #expect(TimeWindow(start: 0, end: 10).maxTimestamp == 9)
    #expect(WindowAssigner.session(gap: .seconds(1)).isMerging)
    #expect(WindowAssigner.global.isGlobal)
    #expect(WindowAssigner.tumblingProcessingTime(.seconds(1)).domain == .processingTime)
  }

  /// Processing-time tumbling windows on a manual clock: records are placed
  /// by the clock when processed and fire when the clock passes the window end.
  @Test(arguments: [StateConfig.heap, .rocksTinyCache])
  func processingTimeTumblingWindowsFireOnTheClock(config: StateConfig) async throws {
    let directory = try temporaryDirectory("tributary-ptwindow")
    defer { try? FileManager.default.removeItem(at: directory) }
    let clock = ManualProcessingClock(millis: 1_020)
    let env = StreamEnvironment(parallelism: 1)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.processingClock = clock
    env.configuration.tickInterval = .milliseconds(2)
    let out = env.lingeringSource { _ in
      (0..<6).map { Reading(key: $0 % 3, ts: 0, value: Int64($0), id: $0) }
    }
    .keyBy { $0.key }
    .window(.tumblingProcessingTime(.milliseconds(100)))
    .aggregate(CountSum()) { key, window, acc in
      WindowResult(
        key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second)
    }
    .collect()
    let job = Task { try await env.execute() }
    try await Task.sleep(for: .milliseconds(300))
    clock.set(1_098)
    try await Task.sleep(for: .milliseconds(50))
    let early = out.values.count
    clock.set(1_099)
    let fired = try await eventually(5) { out.values.count >= 3 }
    try await Task.sleep(for: .milliseconds(30))
    await cancelJob(job)
    #expect(early == 0, "fired before the window's last millisecond")
    #expect(fired)
    expectSameElements(
      out.values,
      [
        WindowResult(key: 0, start: 1_000, end: 1_100, count: 2, sum: 3),
        WindowResult(key: 1, start: 1_000, end: 1_100, count: 2, sum: 5),
        WindowResult(key: 2, start: 1_000, end: 1_100, count: 2, sum: 7),
      ])
  }

  /// A custom trigger using the trigger context: fires early every 2 records
  /// (count in the trigger value) and at the window end via an event-time timer.
  struct EarlyEveryTwo: WindowTrigger {
    func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
      -> TriggerResult
    {
      try context.registerEventTimeTimer(window.maxTimestamp)
      let seen = (try context.value() ?? 0) + 1
      try context.setValue(seen)
      return seen % 2 == 0 ? .fire : .continue
    }
    func onEventTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
      -> TriggerResult
    { time == window.maxTimestamp ? .fire : .continue }
    func clear(window: TimeWindow, context: TriggerContext) throws {
      try context.deleteEventTimeTimer(window.maxTimestamp)
      try context.setValue(nil)
    }
  }

  @Test(arguments: [StateConfig.heap, .rocksTinyCache])
  func customTriggerFiresEarlyAndAtTheEnd(config: StateConfig) async throws {
    let directory = try temporaryDirectory("tributary-trigger")
    defer { try? FileManager.default.removeItem(at: directory) }
    let env = StreamEnvironment(parallelism: 1)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.batchSize = 1
    let ts: [Int64] = [1, 2, 3, 12, 4, 25]
    let readings = ts.enumerated().map {
      Reading(key: 0, ts: $0.element, value: Int64($0.offset), id: $0.offset)
    }
    let out = env.fromCollection(readings)
      .assignTimestampsAndWatermarks(
        .boundedOutOfOrderness(.milliseconds(5)) { $0.ts }.withInterval(.zero)
      )
      .keyBy { $0.key }
      .window(.tumbling(.milliseconds(10)))
      .trigger(EarlyEveryTwo())
      .process {
        (key: Int, w: TimeWindow, records: [Reading], out: inout Collector<WindowResult>) in
        out.emit(window(w.start, w.end, ids: records.map(\.id), key: key))
      }
      .collect()
    _ = try await withTimeout(30) { try await env.execute() }
    // Watermarks: -5, -4, -3, 6, 6, 19. [0,10): early at 2 and 4 records, at 19 on time.
    #expect(
      out.values == [
        window(0, 10, ids: [0, 1]), window(0, 10, ids: [0, 1, 2, 4]),
        window(0, 10, ids: [0, 1, 2, 4]),
        window(10, 20, ids: [3]), window(20, 30, ids: [5]),
      ], "\(out.values)")
  }
}
