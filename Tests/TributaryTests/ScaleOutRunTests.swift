import Foundation
import TestServers
import Testing
import TributaryNATS
import TributaryPostgres

@testable import Tributary

/// `windowed-counts --instances 3` as three processes exchanging records
/// through JetStream (docs/scale-out.md), from a JetStream stream of 8
/// subjects into PostgreSQL with two-phase commit, against real servers:
/// the table equals the result computed here, each row once, with no
/// prepared transaction left.
@Suite(.serialized) struct ScaleOutRunTests {
  static let subjects = 8
  static let events = 240_000

  /// Event `i` goes to subject `i % 8`; timestamps are monotonic per subject
  /// and skewed by 2 s per subject.
  static func payload(_ i: Int) -> String {
    "\(i % 307),\((i % subjects) * 2_000 + i / 40),\(i % 13)"
  }

  /// `window_end,key,count,sum` per key and 1 s window, computed directly.
  static func expectedRows() -> [String] {
    var windows: [String: (Int64, Int64)] = [:]
    for i in 0..<events {
      let timestamp = (i % subjects) * 2_000 + i / 40
      let id = "\((timestamp / 1_000 + 1) * 1_000),\(i % 307)"
      let previous = windows[id] ?? (0, 0)
      windows[id] = (previous.0 + 1, previous.1 + Int64(i % 13))
    }
    return windows.map { "\($0.key),\($0.value.0),\($0.value.1)" }
  }

  static func publish(to nats: NATSServer, stream: String) throws {
    let connection = try NATSConnection(url: nats.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: stream, subjects: ["\(stream).*"])
    _ = try jetStream.publishAll(
      (0..<events).map { i in
        JetStreamOutgoingMessage(
          subject: "\(stream).\(i % subjects)", payload: Array(payload(i).utf8), messageID: nil)
      })
  }

  static func arguments(
    instance: Int, nats: NATSServer, postgres: PostgresServer, checkpoints: URL,
    parallelism: Int = 1
  ) -> [String] {
    [
      "--instances", "3", "--instance", String(instance), "--exchange-url", nats.url,
      "--job-name", "counts", "--source", "jetstream", "--nats-url", nats.url,
      "--nats-stream", "events", "--nats-bounded", "--sink", "postgres",
      "--postgres-url", postgres.url, "--postgres-table", "results",
      "--checkpoint-dir", checkpoints.path, "--checkpoint-interval", "100ms",
      "--parallelism", String(parallelism), "--lease-period", "2s",
    ]
  }

  /// Starts `binary` with `arguments`, its output collected.
  static func start(_ binary: String, _ arguments: [String]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    return (process, pipe)
  }

  @Test(arguments: [1, 2])
  func threeInstancesWriteExactlyTheResult(parallelism: Int) async throws {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return
    }
    let nats = try NATSServer.start()
    defer { nats.stop() }
    let postgres = try PostgresServer.start()
    defer { postgres.stop() }
    try Self.publish(to: nats, stream: "events")
    let root = try temporaryDirectory("tributary-scale-out")
    defer { try? FileManager.default.removeItem(at: root) }
    let checkpoints = root.appendingPathComponent("checkpoints")
    let processes = try (0..<3).map { instance in
      try Self.start(
        binary,
        Self.arguments(
          instance: instance, nats: nats, postgres: postgres, checkpoints: checkpoints,
          parallelism: parallelism))
    }
    let deadline = ContinuousClock.now + .seconds(120)
    while processes.contains(where: { $0.0.isRunning }) && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    for (instance, (process, pipe)) in processes.enumerated() {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      let output = String(
        decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(
        process.terminationReason == .exit && process.terminationStatus == 0,
        "instance \(instance) did not finish:\n\(output)")
    }
    expectSameElements(
      try ConnectorPipelineTests.tableRows(postgres, table: "results"), Self.expectedRows())
    #expect(try ConnectorPipelineTests.preparedTransactions(postgres).isEmpty)
  }

  /// Ten times, a random running instance is killed with `kill -9` at a
  /// random moment and restarted with the same arguments while the others
  /// keep running; the table still ends exactly right, each row once.
  @Test func killedInstancesRestartAndTheTableStaysExact() async throws {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return
    }
    let nats = try NATSServer.start()
    defer { nats.stop() }
    let postgres = try PostgresServer.start()
    defer { postgres.stop() }
    try Self.publish(to: nats, stream: "events")
    let root = try temporaryDirectory("tributary-scale-out-kill")
    defer { try? FileManager.default.removeItem(at: root) }
    let checkpoints = root.appendingPathComponent("checkpoints")
    func arguments(_ instance: Int) -> [String] {
      Self.arguments(
        instance: instance, nats: nats, postgres: postgres, checkpoints: checkpoints,
        parallelism: 2)
    }
    var running = try (0..<3).map { try Self.start(binary, arguments($0)) }
    var outputs = ["", "", ""]
    var rng = SplitMix64(seed: 27)
    var kills = 0
    let deadline = ContinuousClock.now + .seconds(240)
    while kills < 10 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(300 + Int(rng.next() % 1_200)))
      let alive = (0..<3).filter { running[$0].0.isRunning }
      guard let victim = alive.isEmpty ? nil : alive[Int(rng.next() % UInt64(alive.count))]
      else { break }
      kill(running[victim].0.processIdentifier, SIGKILL)
      running[victim].0.waitUntilExit()
      outputs[victim] += String(
        decoding: running[victim].1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      running[victim] = try Self.start(binary, arguments(victim))
      kills += 1
    }
    while running.contains(where: { $0.0.isRunning }) && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    for (instance, (process, pipe)) in running.enumerated() {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      let output = String(
        decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(
        process.terminationReason == .exit && process.terminationStatus == 0,
        "instance \(instance) did not finish:\n\(outputs[instance])\n--- last run:\n\(output)")
    }
    #expect(kills == 10, "the job ended before ten kills")
    expectSameElements(
      try ConnectorPipelineTests.tableRows(postgres, table: "results"), Self.expectedRows())
    #expect(try ConnectorPipelineTests.preparedTransactions(postgres).isEmpty)
  }
}
