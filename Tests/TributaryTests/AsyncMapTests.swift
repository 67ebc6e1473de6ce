import Foundation
import Synchronization
import Testing

@testable import Tributary

/// `asyncMap`: order, capacity, timeouts, watermarks and cancellation,
/// against expectations computed in plain Swift.
@Suite struct AsyncMapTests {
  /// A deterministic pseudo-random latency of 0..<`maxMicros` µs for record `i`.
  static func latency(_ i: Int, maxMicros: UInt64 = 3_000) -> Duration {
    var rng = SplitMix64(seed: UInt64(i) &* 7_919 &+ 13)
    return .microseconds(Int64(rng.next() % maxMicros))
  }

  /// The expected result of the asynchronous "lookup" of `i`.
  static func enrich(_ i: Int) -> String { "\(i):\(i &* 31 % 1_000)" }

  /// Counts calls running at the same time and remembers the peak.
  final class ConcurrencyProbe: Sendable {
    private let state = Mutex((running: 0, peak: 0, calls: 0))
    func enter() {
      state.withLock {
        $0.running += 1
        $0.calls += 1
        $0.peak = max($0.peak, $0.running)
      }
    }
    func leave() { state.withLock { $0.running -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
    var calls: Int { state.withLock { $0.calls } }
    var running: Int { state.withLock { $0.running } }
  }

  @Test(arguments: [(true, 1), (true, 2), (true, 4), (false, 1), (false, 2), (false, 4)])
  func resultsMatchAPlainLoop(ordered: Bool, parallelism: Int) async throws {
    let count = 3_000
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    let env = StreamEnvironment(configuration: config)
    let results = env.generate(count: count) { $0 }
      .asyncMap(capacity: 16, timeout: .seconds(30), ordered: ordered) { i in
        try await Task.sleep(for: Self.latency(i))
        return Pair(i, Self.enrich(i))
      }
      .collect()
    _ = try await withTimeout(120) { try await env.execute() }
    let got = results.values
    expectSameElements(got.map(\.second), (0..<count).map(Self.enrich))
    if ordered {
      // Subtask s of the generator produces the i with i % parallelism == s,
      // in increasing order; its asyncMap subtask must keep that order.
      for s in 0..<parallelism {
        let sequence = got.map(\.first).filter { $0 % parallelism == s }
        #expect(sequence == sequence.sorted(), "subtask \(s) kept input order")
      }
    }
  }

  @Test(arguments: [true, false])
  func neverMoreCallsInFlightThanTheCapacity(ordered: Bool) async throws {
    let probe = ConcurrencyProbe()
    var config = JobConfiguration()
    config.batchSize = 100
    let env = StreamEnvironment(configuration: config)
    let results = env.generate(count: 500) { $0 }
      .asyncMap(capacity: 5, timeout: .seconds(30), ordered: ordered) { i in
        probe.enter()
        defer { probe.leave() }
        try await Task.sleep(for: Self.latency(i, maxMicros: 2_000))
        return i
      }
      .collect()
    _ = try await withTimeout(120) { try await env.execute() }
    expectSameElements(results.values, Array(0..<500))
    #expect(probe.calls == 500)
    #expect(probe.peak <= 5, "peak concurrency \(probe.peak) within the capacity")
    #expect(probe.peak >= 2, "calls did run concurrently (peak \(probe.peak))")
  }

  /// Waits `seconds` without reacting to cancellation (a badly behaved client).
  static func uncancellableWait(seconds: Double) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { continuation.resume() }
    }
  }

  @Test(arguments: [true, false])
  func aTimeoutFailsTheJobNamingTheOperatorAndTheTimeout(callIgnoresCancellation: Bool)
    async throws
  {
    let env = StreamEnvironment(configuration: JobConfiguration())
    _ = env.generate(count: 100) { $0 }
      .asyncMap(name: "SlowLookup", capacity: 4, timeout: .milliseconds(50)) { i in
        if i == 42 {
          if callIgnoresCancellation {
            await Self.uncancellableWait(seconds: 20)
          } else {
            try await Task.sleep(for: .seconds(60))
          }
        }
        return i
      }
      .collect()
    let started = ContinuousClock.now
    defer {
      #expect(ContinuousClock.now - started < .seconds(10), "the timeout did not wait for the call")
    }
    do {
      _ = try await withTimeout(60) { try await env.execute() }
      Issue.record("the job should have failed")
    } catch let error as JobError {
      guard case .operatorFailed(let name, _, let underlying) = error,
        let timeout = underlying as? AsyncCallTimeout
      else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(name == "SlowLookup")
      #expect(timeout.operatorName == "SlowLookup")
      #expect(timeout.timeout == .milliseconds(50))
      #expect("\(timeout)".contains("SlowLookup"))
    }
  }

  @Test(arguments: [true, false])
  func onTimeoutGivesTheResultOfCallsThatTimedOut(ordered: Bool) async throws {
    let env = StreamEnvironment(configuration: JobConfiguration())
    let results = env.generate(count: 200) { $0 }
      .asyncMap(
        capacity: 8, timeout: .milliseconds(30), ordered: ordered,
        onTimeout: { i in i % 2 == 0 ? -i : nil }
      ) { i in
        if i % 50 == 7 || i % 50 == 8 { try await Task.sleep(for: .seconds(60)) }
        return i
      }
      .collect()
    _ = try await withTimeout(60) { try await env.execute() }
    let expected = (0..<200).compactMap { i -> Int? in
      if i % 50 == 7 { return nil }
      if i % 50 == 8 { return -i }
      return i
    }
    expectSameElements(results.values, expected)
  }

  @Test func anErrorOfTheCallFailsTheJob() async throws {
    struct LookupFailed: Error {}
    let env = StreamEnvironment(configuration: JobConfiguration())
    _ = env.generate(count: 100) { $0 }
      .asyncMap(name: "Lookup", capacity: 4, timeout: .seconds(10)) { i in
        if i == 10 { throw LookupFailed() }
        return i
      }
      .collect()
    do {
      _ = try await withTimeout(60) { try await env.execute() }
      Issue.record("the job should have failed")
    } catch let JobError.operatorFailed(name, _, underlying) {
      #expect(name == "Lookup")
      #expect(underlying is LookupFailed)
    }
  }

  /// Unordered results never cross a watermark: with ascending timestamps, a
  /// result that overtook a watermark would arrive late at the 1 ms windows
  /// downstream and go to the late output; none does, and every record is counted.
  @Test(arguments: [1, 2])
  func unorderedResultsNeverOvertakeAWatermark(parallelism: Int) async throws {
    let count = 4_000
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 16
    let env = StreamEnvironment(configuration: config)
    let late = LateDataTag<Int>()
    let windows = env.generate(count: count, ratePerSecond: 200_000) { $0 }
      .assignTimestampsAndWatermarks(
        WatermarkStrategy<Int>.boundedOutOfOrderness(.zero) { Int64($0 / 8) }
          .withInterval(.milliseconds(1))
      )
      .asyncMap(capacity: 32, timeout: .seconds(30), ordered: false) { i in
        try await Task.sleep(for: Self.latency(i, maxMicros: 4_000))
        return i
      }
      .withTimestamps { Int64($0 / 8) }
      .keyBy { $0 % 3 }
      .window(.tumbling(.milliseconds(1)))
      .sideOutputLateData(late)
      .reduce { $0 + $1 }
    let sums = windows.collect()
    let lateRecords = windows.lateRecords(late).collect()
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(lateRecords.values.count == 0, "results overtook a watermark")
    #expect(sums.values.reduce(0, +) == (0..<count).reduce(0, +))
  }

  @Test func cancellingTheJobCancelsTheCallsInFlight() async throws {
    let probe = ConcurrencyProbe()
    let env = StreamEnvironment(configuration: JobConfiguration())
    _ = env.generate(count: nil) { $0 }
      .asyncMap(capacity: 4, timeout: .seconds(600)) { i in
        probe.enter()
        defer { probe.leave() }
        try await Task.sleep(for: .seconds(600))
        return i
      }
      .discard()
    let job = Task { try await env.execute() }
    let deadline = ContinuousClock.now + .seconds(30)
    while probe.calls < 4 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(5))
    }
    #expect(probe.calls >= 4)
    job.cancel()
    await #expect(throws: CancellationError.self) {
      _ = try await withTimeout(30) { try await job.value }
    }
    while probe.running > 0 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(5))
    }
    #expect(probe.running == 0, "every call in flight was cancelled")
  }
}
