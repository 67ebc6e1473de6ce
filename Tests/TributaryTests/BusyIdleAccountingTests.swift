import Foundation
import Testing

@testable import Tributary

/// Busy, idle and backpressured time of real running jobs, as the monitor
/// reports them: a slow sink backpressures the source, a slow source leaves
/// everything downstream idle.
@Suite(.serialized) struct BusyIdleAccountingTests {
  /// Runs `env`'s job until `condition` holds for the monitor's status (polled,
  /// with a deadline), then cancels it; returns whether it held.
  func watch(
    _ env: StreamEnvironment, _ monitor: JobMonitor, seconds: Double = 30,
    until condition: (JobStatus) -> Bool
  ) async throws -> JobStatus {
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    let deadline = ContinuousClock.now + .seconds(seconds)
    var status = monitor.status
    while ContinuousClock.now < deadline {
      status = monitor.status
      if condition(status) { break }
      try await Task.sleep(for: .milliseconds(100))
    }
    job.cancel()
    _ = try? await job.value
    return status
  }

  @Test func aSlowSinkBackpressuresTheSource() async throws {
    let monitor = JobMonitor()
    var config = JobConfiguration()
    config.parallelism = 1
    config.batchSize = 256
    config.channelCapacity = 2
    config.monitor = monitor
    let env = StreamEnvironment(configuration: config)
    env.generate(count: nil, name: "Fast") { $0 }
      .rebalance()
      .sink(name: "Slow") { _ in usleep(2_000) }
    let status = try await watch(env, monitor) { status in
      status.vertices.count == 2 && status.vertices[0].backpressureRatio > 0.8
        && status.vertices[1].busyRatio > 0.8
    }
    let source = status.vertices[0]
    let sink = status.vertices[1]
    #expect(source.backpressureRatio > 0.8, "source \(source)")
    #expect(sink.busyRatio > 0.8, "sink \(sink)")
    // Per subtask the three ratios add up to the subtask's time.
    for subtask in source.subtasks + sink.subtasks {
      #expect(abs(subtask.busyRatio + subtask.idleRatio + subtask.backpressureRatio - 1) < 1e-6)
    }
  }

  @Test func aSlowSourceLeavesDownstreamIdle() async throws {
    let monitor = JobMonitor()
    var config = JobConfiguration()
    config.parallelism = 2
    config.monitor = monitor
    let env = StreamEnvironment(configuration: config)
    env.generate(count: nil, ratePerSecond: 500, name: "Trickle") { $0 }
      .keyBy { $0 % 10 }
      .reduce(name: "Sum") { $0 &+ $1 }
      .sink(name: "Out") { _ in }
    let status = try await watch(env, monitor) { status in
      status.vertices.count == 3 && status.vertices[0].recordsOut > 0
        && status.vertices.allSatisfy { $0.idleRatio > 0.9 }
    }
    for vertex in status.vertices {
      #expect(vertex.idleRatio > 0.9, "\(vertex.name): \(vertex)")
      #expect(vertex.backpressureRatio < 0.05)
    }
    #expect(status.vertices[1].recordsIn > 0)
  }
}
