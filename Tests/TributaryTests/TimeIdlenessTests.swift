import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Idle inputs and the watermark, on the real clock, with unbounded sources
/// (the job is cancelled at the end of each test).
@Suite(.serialized) struct TimeIdlenessTests {
  /// An active input (one record per 2 ms, event time +10 ms each) and an
  /// input that never emits, unioned, into 100 ms tumbling windows.
  static func windowsOverActiveAndSilentInput(
    env: StreamEnvironment, activeIdleness: Duration?, silentIdleness: Duration?,
    activeRecords: Int? = nil
  ) -> CollectedRecords<WindowResult> {
    func strategy(_ idleness: Duration?) -> WatermarkStrategy<Reading> {
      let base = WatermarkStrategy<Reading>.monotonic { $0.ts }.withInterval(.zero)
      return idleness.map { base.withIdleness($0) } ?? base
    }
    let active = env.pacedSource(name: "Active", intervalMillis: 2) { _, i -> Reading? in
      if let limit = activeRecords, i >= limit { return nil }
      return Reading(key: i % 3, ts: Int64(i) * 10, value: 1, id: i)
    }.assignTimestampsAndWatermarks(strategy(activeIdleness))
    let silent = env.lingeringSource(name: "Silent") { _ in [Reading]() }
      .assignTimestampsAndWatermarks(strategy(silentIdleness))
    return active.union(silent).keyBy { $0.key }
      .window(.tumbling(.milliseconds(100)))
      .aggregate(CountSum()) { key, window, acc in
        WindowResult(
          key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second)
      }
      .collect()
  }

  @Test func idleInputDoesNotHoldBackWindowsOfTheActiveInput() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let out = Self.windowsOverActiveAndSilentInput(
      env: env, activeIdleness: .milliseconds(200), silentIdleness: .milliseconds(200))
    let job = Task { try await env.execute() }
    let fired = try await eventually(10) { out.values.count >= 9 }
    await cancelJob(job)
    #expect(fired, "windows fire once the silent input is idle")
    // Every fired window is complete: 10 records per 100 ms window over 3 keys.
    var perWindow: [Int64: Int64] = [:]
    for r in out.values { perWindow[r.start, default: 0] += r.count }
    #expect(
      perWindow.values.allSatisfy { $0 == 10 }, "\(perWindow.sorted { $0.key < $1.key }.prefix(5))")
    let starts = perWindow.keys.sorted()
    #expect(
      starts.first == 0 && starts == Array(stride(from: 0, to: Int64(starts.count) * 100, by: 100)))
  }

  @Test func withoutIdlenessASilentInputHoldsBackTheWatermark() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let out = Self.windowsOverActiveAndSilentInput(
      env: env, activeIdleness: .milliseconds(200), silentIdleness: nil)
    let job = Task { try await env.execute() }
    try await Task.sleep(for: .milliseconds(800))
    await cancelJob(job)
    #expect(out.values.isEmpty, "got \(out.values.count) results")
  }

  /// Two subtasks of one source, subtask 1 silent: the keyed window's
  /// channel from subtask 1 is ignored once idle.
  @Test func idleSourceSubtaskDoesNotHoldBackTheWindow() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let strategy = WatermarkStrategy<Reading>.monotonic { $0.ts }.withInterval(.zero)
      .withIdleness(.milliseconds(200))
    let out = env.pacedSource(intervalMillis: 2) { subtask, i -> Reading? in
      subtask == 0 ? Reading(key: i % 4, ts: Int64(i) * 10, value: 1, id: i) : nil
    }
    .assignTimestampsAndWatermarks(strategy)
    .keyBy { $0.key }
    .window(.tumbling(.milliseconds(100)))
    .aggregate(CountSum()) { key, window, acc in
      WindowResult(
        key: key, start: window.start, end: window.end, count: acc.first, sum: acc.second)
    }
    .collect()
    let job = Task { try await env.execute() }
    let fired = try await eventually(10) { out.values.count >= 8 }
    await cancelJob(job)
    #expect(fired)
    #expect(out.values.allSatisfy { $0.count >= 2 && $0.count <= 3 })
  }

  /// When every input is idle, the watermark the last active input reached is
  /// applied (Flink's valve emits the maximum watermark across channels when
  /// the last channel goes idle). Here the active input emits 100 records
  /// (watermark 989) and goes idle at ~100 ms, while the silent input — still
  /// at Int64.min — goes idle at ~600 ms. Windows up to [800,900) must fire.
  /// Independently of which input went idle first.
  @Test func whenAllInputsGoIdleTheReachedWatermarkIsApplied() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let out = Self.windowsOverActiveAndSilentInput(
      env: env, activeIdleness: .milliseconds(100), silentIdleness: .milliseconds(600),
      activeRecords: 100)
    let job = Task { try await env.execute() }
    let fired = try await eventually(3) { out.values.count >= 27 }
    await cancelJob(job)
    #expect(fired, "windows [0,100) … [800,900) of 3 keys; got \(out.values.count)")
  }

  /// The same input, but the silent input goes idle first: the active input's
  /// watermark 989 applies while it is still active.
  @Test func silentInputIdleFirstAppliesTheActiveWatermark() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let out = Self.windowsOverActiveAndSilentInput(
      env: env, activeIdleness: .milliseconds(1_500), silentIdleness: .milliseconds(100),
      activeRecords: 100)
    let job = Task { try await env.execute() }
    let fired = try await eventually(3) { out.values.count >= 27 }
    try await Task.sleep(for: .milliseconds(50))
    await cancelJob(job)
    #expect(fired, "got \(out.values.count)")
    #expect(out.values.count == 27, "[900,1000) is not complete: watermark 989")
  }
}
