import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Exactly-once recovery: injected failures with restarts, and a real `kill -9`.
@Suite struct CheckpointRecoveryTests {
  struct Reading: Sendable {
    var key: Int64
    var timestamp: Int64
    var value: Int64
  }

  struct CountSum: AggregateFunction {
    func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
    func add(_ r: Reading, to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
      Pair(acc.first + 1, acc.second + r.value)
    }
    func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
    func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
      Pair(a.first + b.first, a.second + b.second)
    }
  }

  struct InjectedFailure: Error {}

  /// Throws once at each chosen record index (the first time it is seen).
  final class FailureInjector: Sendable {
    private let remaining: Mutex<Set<Int64>>
    init(_ indices: Set<Int64>) { remaining = Mutex(indices) }
    func check(_ index: Int64) throws {
      if remaining.withLock({ $0.remove(index) != nil }) { throw InjectedFailure() }
    }
    var left: Int { remaining.withLock { $0.count } }
  }

  static func reading(_ i: Int) -> Reading {
    Reading(key: Int64(i % 37), timestamp: Int64(i / 40), value: Int64(i % 11))
  }

  /// Independent expectation: per key and 100 ms window, `window_end,key,count,sum`.
  static func expectedWindowLines(events: Int) -> [String] {
    var expected: [String: (Int64, Int64)] = [:]
    for i in 0..<events {
      let r = reading(i)
      let id = "\((r.timestamp / 100 + 1) * 100),\(r.key)"
      let previous = expected[id] ?? (0, 0)
      expected[id] = (previous.0 + 1, previous.1 + r.value)
    }
    return expected.map { "\($0.key),\($0.value.0),\($0.value.1)" }
  }

  /// The committed lines of `directory` (only committed files, never in-progress ones).
  static func committedLines(_ directory: URL) throws -> [String] {
    var lines: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
    where name.hasSuffix(".csv") {
      let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      lines += text.split(separator: "\n").map(String.init)
    }
    return lines
  }

  /// The test pipeline: `events` generated readings at `rate` per second,
  /// failing where `injector` says, in 100 ms tumbling windows (count, sum)
  /// per key at `windowParallelism` (default: the job's), into the
  /// transactional file sink in `output`.
  static func addWindowedCounts(
    to env: StreamEnvironment, events: Int, rate: Double, injector: FailureInjector,
    output: URL, windowParallelism: Int? = nil
  ) {
    let windows = env.generate(count: events, ratePerSecond: rate) { i in (i, Self.reading(i)) }
      .map { pair in
        try injector.check(Int64(pair.0))
        return pair.1
      }
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(5)) { $0.timestamp })
      .keyBy { $0.key }
      .window(.tumbling(.milliseconds(100)))
      .aggregate(CountSum()) { key, window, acc in
        "\(window.end),\(key),\(acc.first),\(acc.second)"
      }
    (windowParallelism.map { windows.parallelism($0) } ?? windows)
      .writeTransactional(directory: output.path) { $0 }
  }

  @Test(
    arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2])
  func injectedFailuresWithRestartGiveExactlyTheUndisturbedResult(
    backend: StateBackendConfiguration.Kind, parallelism: Int
  ) async throws {
    let root = try temporaryDirectory("tributary-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 60_000
    var rng = SplitMix64(seed: UInt64(parallelism * 10 + (backend == .heap ? 1 : 2)))
    let failures = Set((0..<3).map { _ in Int64(5_000 + Int(rng.next() % 50_000)) })
    let injector = FailureInjector(failures)
    let output = root.appendingPathComponent("out")
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 256
    config.stateBackend = StateBackendConfiguration(
      kind: backend, directory: root.appendingPathComponent("state").path, cacheBytes: 4_096)
    let messages = LogLines()
    config.logger = messages.logger
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    Self.addWindowedCounts(
      to: env, events: events, rate: 150_000, injector: injector, output: output)
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0, "every injected failure happened")
    let log = messages.lines
    // One restart per failed run: two subtasks may hit their failures in the same run.
    let restarts = log.filter { $0.hasPrefix("restart") }.count
    #expect((1...failures.count).contains(restarts))
    #expect(
      log.contains { $0.hasPrefix("resuming from checkpoint") }, "restarts resumed from checkpoints"
    )

    expectSameElements(try Self.committedLines(output), Self.expectedWindowLines(events: events))
  }

  /// `snapshots` nil: heap state; otherwise RocksDB with that snapshot format
  /// (`automatic` takes native snapshots here: the 4 KiB cache keeps the state beyond it).
  @Test(arguments: [nil, .portable, .automatic] as [StateBackendConfiguration.RocksDBSnapshots?])
  func restoreWithAnotherParallelismRedistributesKeyedState(
    snapshots: StateBackendConfiguration.RocksDBSnapshots?
  ) async throws {
    let root = try temporaryDirectory("tributary-rescale")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 40_000
    let output = root.appendingPathComponent("out")
    let messages = LogLines()
    func run(windowParallelism: Int, failAt: Int64?) async throws {
      var config = JobConfiguration()
      config.batchSize = 256
      config.stateBackend = StateBackendConfiguration(
        kind: snapshots == nil ? .heap : .rocksdb,
        directory: root.appendingPathComponent("state").path,
        cacheBytes: 4_096)
      config.stateBackend.rocksDBSnapshots = snapshots ?? .portable
      config.checkpointing = CheckpointingConfiguration(
        directory: root.appendingPathComponent("checkpoints").path,
        settings: CheckpointSettings(intervalMillis: 10))
      config.logger = messages.logger
      let env = StreamEnvironment(configuration: config)
      Self.addWindowedCounts(
        to: env, events: events, rate: 100_000,
        injector: FailureInjector(failAt.map { [$0] } ?? []), output: output,
        windowParallelism: windowParallelism)
      _ = try await withTimeout(120) { try await env.execute() }
    }
    // The first run fails part-way (no restart strategy); the second resumes
    // from its latest checkpoint with the window at parallelism 3.
    await #expect(throws: JobError.self) { try await run(windowParallelism: 1, failAt: 30_000) }
    try await run(windowParallelism: 3, failAt: nil)
    #expect(messages.lines.contains { $0.hasPrefix("resuming from checkpoint") })
    expectSameElements(try Self.committedLines(output), Self.expectedWindowLines(events: events))
  }

  @Test func stopWithSavepointThenRestoreFromItGivesExactlyTheResult() async throws {
    let root = try temporaryDirectory("tributary-savepoint")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 40_000
    let output = root.appendingPathComponent("out")
    @Sendable func environment(restorePath: String?, savepoints: SavepointControl?)
      -> StreamEnvironment
    {
      var config = JobConfiguration()
      config.batchSize = 256
      config.checkpointing = CheckpointingConfiguration(
        directory: root.appendingPathComponent("checkpoints").path,
        settings: CheckpointSettings(intervalMillis: 20), restorePath: restorePath,
        savepoints: savepoints)
      let env = StreamEnvironment(configuration: config)
      env.generate(count: events, ratePerSecond: 40_000) { Self.reading($0) }
        .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(5)) { $0.timestamp })
        .keyBy { $0.key }
        .window(.tumbling(.milliseconds(100)))
        .aggregate(CountSum()) { key, window, acc in
          "\(window.end),\(key),\(acc.first),\(acc.second)"
        }
        .writeTransactional(directory: output.path) { $0 }
      return env
    }
    let control = SavepointControl()
    let first = environment(restorePath: nil, savepoints: control)
    let job = Task { try await first.execute() }
    try await Task.sleep(for: .milliseconds(200))
    control.requestSavepoint()
    try await Task.sleep(for: .milliseconds(200))
    control.requestStopWithSavepoint()
    _ = try await withTimeout(60) { try await job.value }
    let written = control.writtenSavepoints
    #expect(written.count == 2)
    guard let last = written.last else { return }
    #expect(FileManager.default.fileExists(atPath: last + "/_metadata"))
    // The stopped job committed only part of the output; restoring from the
    // savepoint completes it exactly.
    #expect(try Self.committedLines(output).count < 37 * 10)
    // Restarting with just the checkpoint directory resumes from the newest
    // savepoint (not an older checkpoint, which would repeat its output).
    _ = try await withTimeout(60) {
      try await environment(restorePath: nil, savepoints: nil).execute()
    }
    expectSameElements(try Self.committedLines(output), Self.expectedWindowLines(events: events))
    #expect(
      FileManager.default.fileExists(atPath: last + "/_metadata"), "savepoints outlive retention")
  }

  /// `rocksdb-evicting`: a 1 MiB write-back cache, smaller than the state, so
  /// that evictions and flushes happen between native snapshots.
  @Test(arguments: ["heap", "rocksdb", "rocksdb-evicting"])
  func killNineAndRestartGiveExactlyTheUndisturbedOutput(backend: String) async throws {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-kill9")
    defer { try? FileManager.default.removeItem(at: root) }
    // RocksDB state takes incremental native snapshots; heap state portable ones.
    let common =
      [
        "--events", "1500000", "--checkpoint-interval", "50ms", "--state-backend",
        backend == "heap" ? "heap" : "rocksdb", "--rocksdb-snapshots", "incremental",
      ] + (backend == "rocksdb-evicting" ? ["--state-cache-mb", "1"] : [])
    // The undisturbed run.
    let reference = try runProcess(
      binary,
      common + [
        "--output", root.appendingPathComponent("ref").path, "--checkpoint-dir",
        root.appendingPathComponent("ref-ckpt").path,
      ])
    #expect(reference.status == 0)
    // Killed at random moments, several times, then run to the end.
    let checkpoints = root.appendingPathComponent("ckpt")
    let arguments =
      common + [
        "--rate", "600000", "--output", root.appendingPathComponent("out").path,
        "--checkpoint-dir", checkpoints.path,
      ]
    var rng = SplitMix64(seed: 2026)
    var resumed = 0
    for _ in 0..<4 {
      let output = try await runAndKillAfterCheckpoints(
        binary, arguments, checkpoints: checkpoints, extraMillis: 800, rng: &rng
      ).output
      if output.contains("resuming from checkpoint") { resumed += 1 }
    }
    let final = try runProcess(binary, arguments)
    #expect(final.status == 0)
    #expect(final.output.contains("resuming from checkpoint") || resumed > 0)
    let expected = try Self.committedLines(root.appendingPathComponent("ref"))
    #expect(expected.count == 20_000)
    expectSameElements(try Self.committedLines(root.appendingPathComponent("out")), expected)
  }
}
