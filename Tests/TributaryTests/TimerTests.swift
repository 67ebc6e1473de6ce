import Foundation
import Synchronization
import Testing

@testable import Tributary

/// What the timer probe emits.
enum TimerEvent: Sendable, Hashable {
  /// A timer fired: key, time, subtask, the watermark and context timestamp
  /// seen in onTimer, the key's record count then, and the domain.
  case fired(
    key: Int, time: Int64, subtask: Int, watermark: Int64, timestamp: Int64?, count: Int64,
    domain: TimeDomain)
  /// Per key at end of input: how many timers fired (counted in onTimer state).
  case summary(key: Int, fired: Int64)
  /// A record was processed (processing-time test): key, processing time.
  case registered(key: Int, now: Int64)
}

/// Event-time timers: every record registers `ts + 50` twice (dedup), registers
/// and immediately deletes `ts + 57` (never fires), registers a far timer
/// `farBase + id*10 + 1` (fires only at end of input) and deletes the far
/// timer of the key's previous record when that record's id is a multiple of 3.
struct EventTimerProbe: KeyedProcessFunction {
  static let farBase: Int64 = 10_000_000
  var count: ValueState<Int64>?
  var fired: ValueState<Int64>?
  var previous: ValueState<Int64>?

  mutating func open(_ context: KeyedContext<Int>) throws {
    count = try context.state(ValueStateDescriptor<Int64>("count"))
    fired = try context.state(ValueStateDescriptor<Int64>("fired"))
    previous = try context.state(ValueStateDescriptor<Int64>("previous"))
  }

  mutating func processElement(
    _ r: Reading, context: KeyedContext<Int>, out: inout Collector<TimerEvent>
  ) throws {
    try count!.update((try count!.value() ?? 0) + 1)
    try context.registerEventTimeTimer(r.ts + 50)
    try context.registerEventTimeTimer(r.ts + 50)
    try context.registerEventTimeTimer(r.ts + 57)
    try context.deleteEventTimeTimer(r.ts + 57)
    try context.registerEventTimeTimer(Self.farBase + Int64(r.id) * 10 + 1)
    if let last = try previous!.value(), last % 3 == 0 {
      try context.deleteEventTimeTimer(Self.farBase + last * 10 + 1)
    }
    try previous!.update(Int64(r.id))
  }

  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int>,
    out: inout Collector<TimerEvent>
  ) throws {
    try fired!.update((try fired!.value() ?? 0) + 1)
    out.emit(
      .fired(
        key: context.key, time: timestamp, subtask: context.operatorContext.subtaskIndex,
        watermark: context.currentWatermark, timestamp: context.timestamp,
        count: try count!.value() ?? -1, domain: domain))
  }

  mutating func endOfInput(context: KeyedContext<Int>, out: inout Collector<TimerEvent>) throws {
    let fired = self.fired!
    try context.forEachKey(of: fired) { key in
      out.emit(.summary(key: key, fired: try fired.value()!))
    }
  }
}

/// Processing-time timers: every record registers `now + 1000` twice and
/// registers then deletes `now + 500` (on the manual clock).
struct ProcessingTimerProbe: KeyedProcessFunction {
  mutating func processElement(
    _ r: Reading, context: KeyedContext<Int>, out: inout Collector<TimerEvent>
  ) throws {
    let now = context.currentProcessingTime()
    try context.registerProcessingTimeTimer(now + 1_000)
    try context.registerProcessingTimeTimer(now + 1_000)
    try context.registerProcessingTimeTimer(now + 500)
    try context.deleteProcessingTimeTimer(now + 500)
    out.emit(.registered(key: context.key, now: now))
  }

  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int>,
    out: inout Collector<TimerEvent>
  ) throws {
    out.emit(
      .fired(
        key: context.key, time: timestamp, subtask: context.operatorContext.subtaskIndex,
        watermark: context.currentWatermark, timestamp: context.timestamp,
        count: context.currentProcessingTime(), domain: domain))
  }
}

struct FiredTimer: Hashable, Comparable {
  var key: Int
  var time: Int64
  static func < (a: FiredTimer, b: FiredTimer) -> Bool { (a.key, a.time) < (b.key, b.time) }
}

@Suite struct TimerTests {
  @Test(arguments: windowBackendCases)
  func eventTimeTimersFireOnceInOrderAndNotWhenDeleted(backend: (StateConfig, Int)) async throws {
    let (config, parallelism) = backend
    let directory = try temporaryDirectory("tributary-timers")
    defer { try? FileManager.default.removeItem(at: directory) }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.batchSize = 32
    var rng = SplitMix64(seed: 99)
    let readings = (0..<2_000).map { i in
      Reading(key: Int(rng.next() % 13), ts: Int64(i) * 10, value: 0, id: i)
    }
    let strategy = WatermarkStrategy<Reading>.monotonic { $0.ts }.withInterval(.zero)
    // One source subtask, so each key's records reach the keyed operator in
    // input order (the expectation below follows that order).
    let out = env.fromCollection(readings).parallelism(1)
      .assignTimestampsAndWatermarks(strategy).parallelism(1)
      .keyBy { $0.key }
      .process(EventTimerProbe())
      .collect()
    _ = try await withTimeout(60) { try await env.execute() }

    // Independent expectation.
    var expected: [FiredTimer] = []
    var perKeyCount: [Int: Int64] = [:]
    var lastOfKey: [Int: Int] = [:]
    var deleted = Set<Int>()
    for r in readings {
      perKeyCount[r.key, default: 0] += 1
      expected.append(FiredTimer(key: r.key, time: r.ts + 50))
      if let last = lastOfKey[r.key], last % 3 == 0 { deleted.insert(last) }
      lastOfKey[r.key] = r.id
    }
    for r in readings where !deleted.contains(r.id) {
      expected.append(FiredTimer(key: r.key, time: EventTimerProbe.farBase + Int64(r.id) * 10 + 1))
    }
    var fired: [FiredTimer] = []
    var lastTimeOfSubtask: [Int: Int64] = [:]
    var outOfOrder = 0
    var badContext = 0
    var badFinalCount = 0
    var summaries: [Int: Int64] = [:]
    for event in out.values {
      switch event {
      case .fired(
        let key, let time, let subtask, let watermark, let timestamp, let count, let domain):
        fired.append(FiredTimer(key: key, time: time))
        if let last = lastTimeOfSubtask[subtask], last > time { outOfOrder += 1 }
        lastTimeOfSubtask[subtask] = time
        if watermark < time || timestamp != time || domain != .eventTime { badContext += 1 }
        if time >= EventTimerProbe.farBase && (count != perKeyCount[key] || watermark != .max) {
          badFinalCount += 1
        }
      case .summary(let key, let count):
        summaries[key] = count
      case .registered:
        Issue.record("unexpected registration event")
      }
    }
    expectSameElements(fired, expected)
    #expect(outOfOrder == 0, "timers of a subtask fire in timestamp order")
    #expect(badContext == 0, "onTimer sees timestamp == time, watermark >= time, event-time domain")
    #expect(badFinalCount == 0, "far timers fire at the final watermark, after every record")
    var expectedSummaries: [Int: Int64] = [:]
    for timer in expected { expectedSummaries[timer.key, default: 0] += 1 }
    #expect(summaries == expectedSummaries, "onTimer's state updates are visible at end of input")
    // Some ts+50 timers fire mid-stream, before the key's last record.
    let midStream = out.values.filter {
      if case .fired(let key, let time, _, _, _, let count, _) = $0 {
        return time < EventTimerProbe.farBase && count < perKeyCount[key]!
      }
      return false
    }.count
    #expect(midStream > 0)
  }

  @Test(arguments: [StateConfig.heap, .rocksTinyCache])
  func processingTimeTimersFireWhenTheManualClockPassesThem(config: StateConfig) async throws {
    let directory = try temporaryDirectory("tributary-ptimers")
    defer { try? FileManager.default.removeItem(at: directory) }
    let clock = ManualProcessingClock(millis: 5_000)
    let env = StreamEnvironment(parallelism: 2)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    env.configuration.processingClock = clock
    env.configuration.tickInterval = .milliseconds(2)
    let out = env.lingeringSource { subtask in
      (0..<5).map { Reading(key: $0 * 2 + subtask, ts: 0, value: 0, id: $0) }
    }
    .keyBy { $0.key }
    .process(ProcessingTimerProbe())
    .collect()
    let job = Task { try await env.execute() }
    func firedTimes() -> [Int64] {
      out.values.compactMap {
        if case .fired(_, let time, _, _, _, _, _) = $0 { return time }
        return nil
      }
    }
    let registered = try await eventually {
      out.values.filter { if case .registered = $0 { return true } else { return false } }.count
        == 10
    }
    #expect(registered)
    try await Task.sleep(for: .milliseconds(50))
    clock.advance(by: 999)  // the deleted timer at +500 is due, but was deleted
    try await Task.sleep(for: .milliseconds(100))
    #expect(firedTimes().isEmpty, "nothing is due before +1000")
    clock.advance(by: 1)
    let allFired = try await eventually { firedTimes().count >= 10 }
    #expect(allFired)
    try await Task.sleep(for: .milliseconds(50))
    await cancelJob(job)
    #expect(firedTimes() == Array(repeating: 6_000, count: 10), "one firing per key (deduplicated)")
    let keys = out.values.compactMap { event -> Int? in
      if case .fired(let key, _, _, _, let timestamp, let now, let domain) = event {
        #expect(domain == .processingTime && timestamp == 6_000 && now == 6_000)
        return key
      }
      return nil
    }
    #expect(keys.sorted() == Array(0..<10))
  }
}
