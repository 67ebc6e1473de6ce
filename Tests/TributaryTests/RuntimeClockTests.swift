import Foundation
import Synchronization
import Testing

@testable import Tributary

/// The injected runtime clock: a manual clock drives rate limits, flush
/// timeouts, checkpoint intervals and job durations, so tests need no sleeps.
@Suite struct RuntimeClockTests {
  @Test func manualClockWakesSleepersWhenItPassesTheirDeadline() async throws {
    let clock = ManualRuntimeClock()
    let woke = LogLines()
    let first = Task {
      try await clock.sleep(until: .milliseconds(10))
      woke.append("10")
    }
    let second = Task {
      try await clock.sleep(for: .milliseconds(30))
      woke.append("30")
    }
    #expect(try await eventually { clock.sleepers == 2 })
    clock.advance(by: .milliseconds(20))
    try await first.value
    #expect(woke.lines == ["10"])
    #expect(clock.sleepers == 1)
    clock.advance(by: .milliseconds(10))
    try await second.value
    #expect(woke.lines == ["10", "30"])
    // A deadline already reached returns at once; cancellation ends a sleep.
    try await clock.sleep(until: .milliseconds(5))
    let cancelled = Task { try await clock.sleep(for: .seconds(3_600)) }
    #expect(try await eventually { clock.sleepers == 1 })
    cancelled.cancel()
    await #expect(throws: CancellationError.self) { try await cancelled.value }
    #expect(clock.sleepers == 0)
  }

  @Test func aRateLimitedSourceAdvancesOnlyWithTheManualClock() async throws {
    let clock = ManualRuntimeClock()
    var config = JobConfiguration()
    config.runtimeClock = clock
    let env = StreamEnvironment(configuration: config)
    // 100 records at 100 per second: one second of the clock's time.
    let out = env.generate(count: 100, ratePerSecond: 100) { $0 }.collect()
    let job = Task { try await env.execute() }
    #expect(try await eventually { out.values.count == 1 })
    // Real time passes; the clock does not, so the source waits.
    try await Task.sleep(for: .milliseconds(200))
    #expect(out.values.count == 1, "the rate limit follows the injected clock")
    clock.advance(by: .milliseconds(500))
    #expect(try await eventually { out.values.count == 51 })
    clock.advance(by: .seconds(2))
    let result = try await job.value
    #expect(out.values == Array(0..<100))
    #expect(result.duration == .milliseconds(2_500), "the job's duration is the clock's")
  }

  @Test func checkpointIntervalsFollowTheManualClock() async throws {
    let root = try temporaryDirectory("tributary-clock")
    defer { try? FileManager.default.removeItem(at: root) }
    let clock = ManualRuntimeClock()
    var config = JobConfiguration()
    config.runtimeClock = clock
    config.checkpointing = CheckpointingConfiguration(
      directory: root.path, settings: CheckpointSettings(intervalMillis: 1_000))
    let env = StreamEnvironment(configuration: config)
    _ = env.generate(count: 1_000, ratePerSecond: 100) { $0 }.discard()
    let job = Task { try await env.execute() }
    let storage = try CheckpointStorage(directory: root)
    #expect(try await eventually { clock.sleepers > 0 })
    try await Task.sleep(for: .milliseconds(200))
    #expect(storage.completedCheckpoints().isEmpty, "no interval has passed on the clock")
    // Step the clock in 10 ms increments (the source waits on it between
    // records, so it must be stepped to emit the barrier too): the first
    // checkpoint completes once the clock passed the interval.
    var steps = 0
    while storage.completedCheckpoints().isEmpty && steps < 1_000 {
      clock.advance(by: .milliseconds(10))
      steps += 1
      try await Task.sleep(for: .milliseconds(2))
    }
    #expect(!storage.completedCheckpoints().isEmpty)
    #expect(clock.now() >= .seconds(1), "not before the interval, at \(clock.now())")
    clock.advance(by: .seconds(20))
    let result = try await job.value
    #expect((result.checkpoints?.completed ?? 0) >= 1)
  }
}
