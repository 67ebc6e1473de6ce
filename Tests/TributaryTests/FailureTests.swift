import Foundation
import Testing

@testable import Tributary

/// A job fails promptly with the failing operator's error, and stops on cancellation.
@Suite struct FailureTests {
  struct Boom: Error, Equatable { let at: Int }

  @Test(arguments: [1, 2, 4])
  func throwingOperatorFailsTheJob(parallelism: Int) async throws {
    let env = StreamEnvironment(parallelism: parallelism)
    let thrownAt = ThrowTime()
    env.generate(count: nil) { $0 }  // unbounded: only the failure can end it
      .keyBy { $0 % 16 }
      .process(name: "Explode") { (v: Int, _: KeyedContext<Int>, out: inout Collector<Int>) in
        if v == 30_000 {
          thrownAt.record()
          throw Boom(at: v)
        }
        out.emit(v)
      }
      .discard()
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    guard case .operatorFailed(let name, let subtask, let underlying)? = error else {
      Issue.record("expected an operator failure, got \(String(describing: error))")
      return
    }
    #expect(name == "Explode")
    #expect((0..<parallelism).contains(subtask))
    #expect(underlying as? Boom == Boom(at: 30_000))
    // The job ends promptly after the throw (generous for a loaded test machine).
    #expect(thrownAt.elapsed() < .seconds(5))
    #expect("\(error!)".contains("Explode"))
  }

  @Test func throwingSourceFailsTheJob() async throws {
    struct SourceBroke: Error {}
    let env = StreamEnvironment(parallelism: 2)
    env.readTextFiles(["/nonexistent/tributary/input.txt"]) { line, _ in line }.discard()
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    #expect("\(error!)".contains("/nonexistent/tributary/input.txt"))
  }

  @Test func throwingSinkFailsTheJobWhileUpstreamIsBlocked() async throws {
    struct SinkFull: Error {}
    let env = StreamEnvironment(parallelism: 2)
    env.configuration.channelCapacity = 1
    env.generate(count: nil) { $0 }.rebalance().map { $0 * 2 }
      .sink(name: "Broken") { (_: [Int]) in throw SinkFull() }
      .parallelism(1)
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    #expect(error?.underlyingError is SinkFull)
  }

  @Test func cancellationStopsAnUnboundedJob() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let seen = Counter()
    env.generate(count: nil) { $0 }.keyBy { $0 % 5 }.reduce { $0 + $1 }
      .sink { (batch: [Int]) in seen.add(batch.count) }
    let job = Task { try await env.execute() }
    while seen.value < 10_000 { try await Task.sleep(for: .milliseconds(5)) }
    let cancelledAt = ContinuousClock.now
    job.cancel()
    await #expect(throws: CancellationError.self) {
      try await withTimeout(20) { try await job.value }
    }
    #expect(cancelledAt.duration(to: .now) < .seconds(5))
  }

  @Test func rateLimitedSourceCanBeCancelled() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let seen = Counter()
    env.generate(count: nil, ratePerSecond: 1_000) { $0 }.sink { (b: [Int]) in seen.add(b.count) }
    let first = ContinuousClock.now
    let job = Task { try await env.execute() }
    while seen.value == 0 { try await Task.sleep(for: .milliseconds(1)) }
    try await Task.sleep(for: .milliseconds(500))
    job.cancel()
    await #expect(throws: CancellationError.self) {
      try await withTimeout(20) { try await job.value }
    }
    // At 1,000 per second the source cannot have emitted much more than
    // 1,000 × elapsed seconds (plus one batch), however busy the machine.
    let elapsed = first.duration(to: .now)
    let ceiling =
      Int(
        Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
      + 10
    #expect(seen.value > 20 && seen.value <= ceiling, "saw \(seen.value), ceiling \(ceiling)")
  }
}

/// When a test function threw, for measuring how fast the job stops.
final class ThrowTime: @unchecked Sendable {
  private let lock = NSLock()
  private var instant: ContinuousClock.Instant?
  func record() {
    lock.lock()
    instant = .now
    lock.unlock()
  }
  func elapsed() -> Duration {
    lock.lock()
    defer { lock.unlock() }
    return instant.map { $0.duration(to: .now) } ?? .zero
  }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  func add(_ n: Int) {
    lock.lock()
    count += n
    lock.unlock()
  }
  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
}
