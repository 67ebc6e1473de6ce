import Foundation
import Synchronization
import Testing

@testable import Tributary

/// `JobResult.restoreDuration`: set for a run that resumed from a checkpoint,
/// `nil` for one that started without state.
@Suite struct RestoreDurationTests {
  struct InjectedFailure: Error {}

  /// A keyed running sum over `events` generated records, checkpointing every
  /// 10 ms; `failAt` throws once at that record.
  static func run(events: Int, failAt: Int?, root: URL) async throws -> JobResult {
    var config = JobConfiguration()
    config.stateBackend = StateBackendConfiguration(
      kind: .heap, directory: root.appendingPathComponent("state").path)
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.restartStrategy = .fixedDelay(attempts: 1, delay: .zero)
    let failed = Mutex(false)
    let env = StreamEnvironment(configuration: config)
    env.generate(count: events, ratePerSecond: 100_000) { $0 }
      .map { i in
        if i == failAt, !failed.withLock({ $0 }) {
          failed.withLock { $0 = true }
          throw InjectedFailure()
        }
        return i
      }
      .keyBy { $0 % 100 }
      .reduce { $0 + $1 }
      .sink { (_: [Int]) in }
    return try await withTimeout(60) { try await env.execute() }
  }

  @Test func freshRunHasNoRestoreDuration() async throws {
    let root = try temporaryDirectory("tributary-restore-duration")
    defer { try? FileManager.default.removeItem(at: root) }
    let result = try await Self.run(events: 2_000, failAt: nil, root: root)
    #expect(result.restoreDuration == nil)
  }

  @Test func restartedRunReportsItsRestoreDuration() async throws {
    let root = try temporaryDirectory("tributary-restore-duration")
    defer { try? FileManager.default.removeItem(at: root) }
    // 100,000 records/s: the failure at 10,000 comes after ~0.1 s, past several checkpoints.
    let result = try await Self.run(events: 20_000, failAt: 10_000, root: root)
    let duration = try #require(result.restoreDuration)
    #expect(duration > .zero && duration < .seconds(30))
  }
}
