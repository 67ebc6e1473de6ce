import Foundation
import Testing

@testable import Tributary

#if canImport(Glibc)
  import Glibc
#endif

/// One process (one job) at a time per checkpoint directory: a second one
/// refuses with an error naming the holder, and the OS frees the lock when
/// the holder ends in any way.
@Suite struct CheckpointDirectoryLockTests {
  @Test func secondLockRefusesNamingTheHolderUntilReleased() throws {
    let root = try temporaryDirectory("tributary-lock")
    defer { try? FileManager.default.removeItem(at: root) }
    let first = try CheckpointDirectoryLock(directory: root.path)
    let refusal = #expect(throws: CheckpointStorageError.self) {
      _ = try CheckpointDirectoryLock(directory: root.path)
    }
    guard case .directoryInUse(let directory, let holder, let pid) = refusal else {
      Issue.record("expected directoryInUse, got \(String(describing: refusal))")
      return
    }
    #expect(directory == root.path)
    #expect(pid == getpid())
    #expect(holder.hasPrefix("pid \(getpid()) on host "))
    #expect("\(refusal!)".contains("in use by pid \(getpid())"))
    first.release()
    first.release()  // idempotent
    let second = try CheckpointDirectoryLock(directory: root.path + "/")
    second.release()
  }

  /// Generations grow by one per call, across locks (process starts), and are
  /// never silently restarted.
  @Test func generationsGrowAcrossStarts() throws {
    let root = try temporaryDirectory("tributary-generation")
    defer { try? FileManager.default.removeItem(at: root) }
    let first = try CheckpointDirectoryLock(directory: root.path)
    #expect(try first.nextGeneration() == 1)
    #expect(try first.nextGeneration() == 2)
    first.release()
    #expect(throws: CheckpointStorageError.self) { try first.nextGeneration() }
    let second = try CheckpointDirectoryLock(directory: root.path)
    #expect(try second.nextGeneration() == 3)
    let file = root.appendingPathComponent(CheckpointDirectoryLock.generationFileName)
    #expect(try String(contentsOf: file, encoding: .utf8) == "3\n")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path)
    #expect(Set(leftovers) == ["_lock", "_generation"], "no temporary file is left")
    try Data("garbage".utf8).write(to: file)
    #expect(throws: CheckpointStorageError.self) { try second.nextGeneration() }
    second.release()
  }

  @Test func holderDescriptionNamesThePid() {
    #expect(CheckpointDirectoryLock.pid(in: "pid 4242 on host box") == 4242)
    #expect(CheckpointDirectoryLock.pid(in: "a process that is still starting") == nil)
  }

  /// A job holds its checkpoint directory while it runs: a second job on the
  /// same directory fails at once and runs nothing; afterwards the directory is free.
  @Test func aRunningJobHoldsItsDirectory() async throws {
    let root = try temporaryDirectory("tributary-lock-job")
    defer { try? FileManager.default.removeItem(at: root) }
    func environment() -> StreamEnvironment {
      var config = JobConfiguration()
      config.checkpointing = CheckpointingConfiguration(
        directory: root.path, settings: CheckpointSettings(intervalMillis: 200))
      return StreamEnvironment(configuration: config)
    }
    let env = environment()
    let flowing = env.generate(count: nil, ratePerSecond: 2_000) { Int64($0) }.collect()
    let running = Task { try await env.execute() }
    defer { running.cancel() }
    // Records flow only after the job locked its directory.
    let deadline = ContinuousClock.now + .seconds(300)
    while flowing.values.isEmpty && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(10))
    }
    #expect(!flowing.values.isEmpty, "the first job runs")
    let second = environment()
    let collected = second.fromCollection([1, 2, 3]).collect()
    await #expect(throws: CheckpointStorageError.self) { try await second.execute() }
    #expect(collected.values.isEmpty, "the refused job ran nothing")
    running.cancel()
    _ = try? await running.value
    let after = environment()
    after.configuration.checkpointing?.fresh = true
    let output = after.fromCollection([1, 2, 3]).collect()
    try await after.execute()
    #expect(output.values.sorted() == [1, 2, 3])
  }

  /// Two real processes on one checkpoint directory: the second exits with
  /// the error naming the first one's pid; after `kill -9` of the first the
  /// directory is free again (the OS dropped the lock).
  @Test func secondProcessOnTheDirectoryRefusesNamingThePid() async throws {
    guard let binary = builtExecutable("stream-joins") else {
      Issue.record("stream-joins is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-lock-processes")
    defer { try? FileManager.default.removeItem(at: root) }
    let checkpoints = root.appendingPathComponent("ckpt")
    let arguments = [
      "--events", "100000000", "--rate", "1000", "--checkpoint-interval", "50ms",
      "--checkpoint-dir", checkpoints.path, "--output", root.appendingPathComponent("out").path,
    ]
    let first = Process()
    first.executableURL = URL(fileURLWithPath: binary)
    first.arguments = arguments
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
    let deadline = ContinuousClock.now + .seconds(60)
    while newestCompleteCheckpoint(in: checkpoints) == 0 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(first.isRunning && newestCompleteCheckpoint(in: checkpoints) > 0)

    let second = try runProcess(binary, arguments, mergingStandardError: true)
    #expect(second.status != 0)
    #expect(
      second.output.contains("in use by pid \(first.processIdentifier) on host"),
      "\(second.output)")
    #expect(first.isRunning, "the holder keeps running")

    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    let lock = try CheckpointDirectoryLock(directory: checkpoints.path)
    lock.release()
  }
}
