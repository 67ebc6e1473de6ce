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

  /// The servers of a test: nats-server with the input, PostgreSQL.
  static func testbed(_ name: String) throws -> WindowedCountsTestbed? {
    try WindowedCountsTestbed.start(
      name, postgres: { try PostgresServer.start() },
      publish: { try publish(to: $0, stream: "events") })
  }

  /// Waits until every process exited (killing those still running at
  /// `deadline`) and expects each to have exited 0; `earlier` is output of
  /// former runs of each instance, shown on failure.
  static func expectAllFinish(
    _ processes: [(Process, Pipe)], by deadline: ContinuousClock.Instant,
    earlier: [String]? = nil
  ) async throws {
    while processes.contains(where: { $0.0.isRunning }) && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    for (instance, (process, pipe)) in processes.enumerated() {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      let output = String(
        decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      let former = earlier.map { "\($0[instance])\n--- last run:\n" } ?? ""
      #expect(
        process.terminationReason == .exit && process.terminationStatus == 0,
        "instance \(instance) did not finish:\n\(former)\(output)")
    }
  }

  /// The table holds exactly the expected rows, and no transaction is left prepared.
  static func expectExactTable(_ postgres: PostgresServer) throws {
    expectSameElements(
      try ConnectorPipelineTests.tableRows(postgres, table: "results"), expectedRows())
    #expect(try ConnectorPipelineTests.preparedTransactions(postgres).isEmpty)
  }

  @Test(arguments: [1, 2])
  func threeInstancesWriteExactlyTheResult(parallelism: Int) async throws {
    guard let bed = try Self.testbed("tributary-scale-out"), let postgres = bed.postgres
    else { return }
    defer { bed.stop() }
    let processes = try (0..<3).map { instance in
      try Self.start(
        bed.binary,
        Self.arguments(
          instance: instance, nats: bed.nats, postgres: postgres, checkpoints: bed.checkpoints,
          parallelism: parallelism))
    }
    try await Self.expectAllFinish(processes, by: ContinuousClock.now + .seconds(120))
    try Self.expectExactTable(postgres)
  }

  /// Ten times, a random running instance is killed with `kill -9` at a
  /// random moment and restarted with the same arguments while the others
  /// keep running; the table still ends exactly right, each row once.
  @Test func killedInstancesRestartAndTheTableStaysExact() async throws {
    guard let bed = try Self.testbed("tributary-scale-out-kill"), let postgres = bed.postgres
    else { return }
    defer { bed.stop() }
    func arguments(_ instance: Int) -> [String] {
      Self.arguments(
        instance: instance, nats: bed.nats, postgres: postgres, checkpoints: bed.checkpoints,
        parallelism: 2)
    }
    var running = try (0..<3).map { try Self.start(bed.binary, arguments($0)) }
    var outputs = ["", "", ""]
    var rng = SplitMix64(seed: 27)
    var kills = 0
    var deadline = ContinuousClock.now + .seconds(240)
    while kills < 10 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(300 + Int(rng.next() % 1_200)))
      // An instance that failed by itself is not restarted here (that takes a supervisor),
      // so the others would wait for it until the deadline: report it now instead.
      if let failed = (0..<3).first(where: {
        !running[$0].0.isRunning && running[$0].0.terminationStatus != 0
      }) {
        let status = running[failed].0.terminationStatus
        Issue.record("instance \(failed) exited with status \(status) between kills")
        deadline = ContinuousClock.now + .seconds(5)
        break
      }
      let alive = (0..<3).filter { running[$0].0.isRunning }
      guard let victim = alive.isEmpty ? nil : alive[Int(rng.next() % UInt64(alive.count))]
      else { break }
      kill(running[victim].0.processIdentifier, SIGKILL)
      running[victim].0.waitUntilExit()
      outputs[victim] += String(
        decoding: running[victim].1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      running[victim] = try Self.start(bed.binary, arguments(victim))
      kills += 1
    }
    try await Self.expectAllFinish(running, by: deadline, earlier: outputs)
    #expect(kills == 10, "the job ended before ten kills")
    try Self.expectExactTable(postgres)
  }
}
