import Foundation
import Synchronization
import Testing

@testable import Tributary

/// A run that fails while a background snapshot write is still going on ends
/// only after that write ended (written or abandoned): with a restart delay of
/// zero, the next run must not begin while the failed run can still write into
/// its checkpoint directory (it would race the next run's removal of
/// incomplete checkpoints, "Directory not empty").
@Suite struct CheckpointRestartRaceTests {
  struct InjectedFailure: Error {}

  /// Shared by every instance of ``SlowSnapshotOperator`` of a job: counts
  /// runs, makes the third snapshot of the first run slow and fails that run
  /// right after its barrier, and records whether the slow snapshot was
  /// still being produced when the second run opened its operator.
  final class Probe: Sendable {
    struct State {
      var runs = 0
      var snapshotsOfFirstRun = 0
      var slowCheckpoint: Int64?
      var failPending = false
      var slowInProgress = false
      /// Whether the slow snapshot was in progress when the second run opened.
      var slowInProgressAtRestart: Bool?
    }

    let state = Mutex(State())
    /// How long the slow snapshot waits at most for a second run to open.
    let slowWriteLimit: Duration

    init(slowWriteLimit: Duration) { self.slowWriteLimit = slowWriteLimit }

    func opened() {
      state.withLock { s in
        s.runs += 1
        if s.runs == 2 { s.slowInProgressAtRestart = s.slowInProgress }
      }
    }

    /// Whether the operator must throw now (once, right after the slow barrier).
    func failNow() -> Bool {
      state.withLock { s in
        defer { s.failPending = false }
        return s.failPending
      }
    }

    /// The asynchronous part of a snapshot. The slow one (the first run's
    /// third) waits until a second run opened, or `slowWriteLimit`, then
    /// returns state big enough to be written as a file into `chk-<id>`.
    func snapshot(_ checkpoint: Int64) -> @Sendable () throws -> OperatorSnapshot {
      let slow = state.withLock { s in
        guard s.runs == 1 else { return false }
        s.snapshotsOfFirstRun += 1
        guard s.snapshotsOfFirstRun == 3 else { return false }
        s.slowCheckpoint = checkpoint
        s.failPending = true
        return true
      }
      guard slow else { return { OperatorSnapshot(bytes: [1, 2, 3]) } }
      return { [self] in
        // In progress from when the write starts: a write the failed run
        // abandoned before it started never runs and races nothing.
        state.withLock { $0.slowInProgress = true }
        let deadline = ContinuousClock.now + slowWriteLimit
        while state.withLock({ $0.runs < 2 }), ContinuousClock.now < deadline {
          Thread.sleep(forTimeInterval: 0.002)
        }
        state.withLock { $0.slowInProgress = false }
        return OperatorSnapshot(
          bytes: [UInt8](repeating: 7, count: 4 * TaskCheckpointing.inlineLimit))
      }
    }
  }

  /// Passes records through; its snapshots and its failure come from the probe.
  final class SlowSnapshotOperator: StreamOperator {
    typealias Input = Int
    typealias Output = Int
    let probe: Probe

    init(_ probe: Probe) { self.probe = probe }

    func open(_ context: OperatorContext) throws { probe.opened() }

    func processBatch(_ batch: [Int], into output: inout [Int]) throws {
      if probe.failNow() { throw InjectedFailure() }
      output.append(contentsOf: batch)
    }

    func prepareSnapshot(_ request: SnapshotRequest) throws -> (
      @Sendable () throws -> OperatorSnapshot
    )? { probe.snapshot(request.checkpoint) }
  }

  @Test(
    "a run that failed right after a barrier ends only when its slow snapshot write has ended; the restart (delay 0) begins after it"
  )
  func restartWaitsForBackgroundWrites() async throws {
    let root = try temporaryDirectory("tributary-restart-race")
    defer { try? FileManager.default.removeItem(at: root) }
    let checkpoints = root.appendingPathComponent("checkpoints")
    let records = 20_000
    let probe = Probe(slowWriteLimit: .seconds(3))
    let seen = Mutex(Set<Int>())
    let log = LogLines()
    var config = JobConfiguration()
    config.parallelism = 1
    config.logger = log.logger
    config.checkpointing = CheckpointingConfiguration(
      directory: checkpoints.path, settings: CheckpointSettings(intervalMillis: 20))
    config.restartStrategy = .fixedDelay(attempts: 1, delay: .zero)
    let env = StreamEnvironment(configuration: config)
    env.generate(count: records, ratePerSecond: 20_000) { $0 }
      .transform("SlowSnapshot") { _ in OperatorKernel(SlowSnapshotOperator(probe)) }
      .sink { (batch: [Int]) in seen.withLock { $0.formUnion(batch) } }
    try await withTimeout(120) { _ = try await env.execute() }

    let state = probe.state.withLock { $0 }
    #expect(state.runs == 2, "one failure, one restart")
    let slow = try #require(state.slowCheckpoint)
    #expect(
      state.slowInProgressAtRestart == false,
      "the second run opened while the failed run was still producing checkpoint \(slow)")
    #expect(log.lines.contains { $0.hasPrefix("restart") })
    // Every record reached the sink (at least once: the sink is not transactional).
    #expect(seen.withLock { $0 } == Set(0..<records))
    // The failed run's late write was abandoned, not written behind the
    // second run's back: no checkpoint directory without _metadata is left.
    let incomplete = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path)
      .filter {
        $0.hasPrefix("chk-")
          && !FileManager.default.fileExists(
            atPath: checkpoints.appendingPathComponent($0 + "/_metadata").path)
      }
    #expect(incomplete.isEmpty, "incomplete checkpoint directories left: \(incomplete)")
  }

  @Test(
    "removing a checkpoint directory in which a file appears while it is emptied removes that file too"
  )
  func removeTreeRemovesWhatAppearsMeanwhile() throws {
    let root = try temporaryDirectory("tributary-remove-tree")
    defer { try? FileManager.default.removeItem(at: root) }
    let directory = root.appendingPathComponent("chk-7")
    func populate() throws {
      try FileManager.default.createDirectory(
        at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
      try Data([1]).write(to: directory.appendingPathComponent("a.state"))
      try Data([2]).write(to: directory.appendingPathComponent("sub/b.state"))
    }
    // A late writer: a new file each time the directory has just been emptied.
    func lateWriter(times: Int) -> (String) -> Void {
      var written = 0
      return { path in
        guard path == directory.path, written < times else { return }
        written += 1
        _ = FileManager.default.createFile(
          atPath: directory.appendingPathComponent("late-\(written).state").path,
          contents: Data([3]))
      }
    }

    try populate()
    try DurableFileIO.removeTree(directory.path, emptied: lateWriter(times: 2))
    #expect(!FileManager.default.fileExists(atPath: directory.path))

    // Listing once only (as before): the same late write makes the removal fail.
    try populate()
    #expect {
      try DurableFileIO.removeTree(directory.path, attempts: 1, emptied: lateWriter(times: 1))
    } throws: { error in
      guard case .io(_, _, let code) = error as? CheckpointStorageError else { return false }
      return code == ENOTEMPTY
    }
    #expect(
      FileManager.default.fileExists(atPath: directory.appendingPathComponent("late-1.state").path))
  }
}
