import Foundation
import TestServers
import Testing
import TributaryNATS
import TributaryPostgres

@testable import Tributary

/// `windowed-counts --source jetstream … --sink postgres …` against real
/// servers: killed with `kill -9` several times and restarted with the same
/// arguments (at parallelism 1, 2 and a different one on restart), the table
/// ends with exactly the undisturbed result, each row once.
@Suite(.serialized) struct ConnectorPipelineTests {
  static let subjects = 4
  static let events = 120_000

  /// Event `i` goes to subject `i % 4`; timestamps are monotonic per subject
  /// and skewed by 3 s per subject; every 10,007th message is malformed.
  static func payload(_ i: Int) -> String {
    if i % 10_007 == 5 { return "not-an-event" }
    let subject = i % subjects
    return "\(i % 211),\(subject * 3_000 + i / 40),\(i % 17)"
  }

  /// The undisturbed result, computed here: `window_end,key,count,sum` per
  /// key and 1 s window over every well-formed event.
  static func expectedRows() -> [String] {
    var windows: [String: (Int64, Int64)] = [:]
    for i in 0..<events where i % 10_007 != 5 {
      let subject = i % subjects
      let key = i % 211
      let timestamp = subject * 3_000 + i / 40
      let id = "\((timestamp / 1_000 + 1) * 1_000),\(key)"
      let previous = windows[id] ?? (0, 0)
      windows[id] = (previous.0 + 1, previous.1 + Int64(i % 17))
    }
    return windows.map { "\($0.key),\($0.value.0),\($0.value.1)" }
  }

  static func publish(to nats: NATSServer, stream: String) throws {
    let connection = try NATSConnection(url: nats.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: stream, subjects: ["\(stream).*"])
    let messages = (0..<events).map { i in
      JetStreamOutgoingMessage(
        subject: "\(stream).\(i % subjects)", payload: Array(payload(i).utf8), messageID: nil)
    }
    _ = try jetStream.publishAll(messages)
  }

  static func tableRows(_ postgres: PostgresServer, table: String) throws -> [String] {
    let connection = try PostgresConnection(url: postgres.url)
    defer { connection.close() }
    let result = try connection.execute(
      "SELECT window_end, key, count, sum FROM \(PostgresConnection.quoteIdentifier(table))")
    return result.rows.map { row in row.map { $0 ?? "NULL" }.joined(separator: ",") }
  }

  static func preparedTransactions(_ postgres: PostgresServer) throws -> [String] {
    let connection = try PostgresConnection(url: postgres.url)
    defer { connection.close() }
    return try connection.execute("SELECT gid FROM pg_prepared_xacts").rows.compactMap {
      $0.first ?? nil
    }
  }

  @Test(arguments: [[1, 1, 1], [2, 2, 2], [1, 3, 2]])
  func killedAndRestartedTheTableHoldsExactlyTheUndisturbedResult(parallelisms: [Int])
    async throws
  {
    guard
      let bed = try WindowedCountsTestbed.start(
        "tributary-connectors", postgres: { try PostgresServer.start() },
        publish: { try Self.publish(to: $0, stream: "events") }),
      let postgres = bed.postgres
    else { return }
    defer { bed.stop() }
    let (binary, nats, checkpoints) = (bed.binary, bed.nats, bed.checkpoints)
    func arguments(_ parallelism: Int) -> [String] {
      [
        "--source", "jetstream", "--nats-url", nats.url, "--nats-stream", "events",
        "--nats-bounded", "--sink", "postgres", "--postgres-url", postgres.url,
        "--postgres-table", "results", "--checkpoint-dir", checkpoints.path,
        "--checkpoint-interval", "50ms", "--parallelism", String(parallelism),
      ]
    }
    var rng = SplitMix64(seed: UInt64(parallelisms.reduce(0) { $0 * 10 + $1 }))
    var kills = 0
    for parallelism in parallelisms.dropLast() {
      let run = try await runAndKillAfterCheckpoints(
        binary, arguments(parallelism), checkpoints: checkpoints, count: 2, extraMillis: 40,
        rng: &rng)
      #expect(!run.failedByItself, "the run failed by itself:\n\(run.output)")
      kills += 1
    }
    let last = try runProcess(binary, arguments(parallelisms.last!), mergingStandardError: true)
    #expect(last.status == 0, "the last run failed:\n\(last.output)")
    #expect(last.output.contains("dead letter"), "malformed messages are reported as dead letters")
    #expect(kills == parallelisms.count - 1)
    expectSameElements(try Self.tableRows(postgres, table: "results"), Self.expectedRows())
    #expect(try Self.preparedTransactions(postgres).isEmpty, "no prepared transaction is left")
  }

  @Test func killedAndRestartedTheJetStreamSinkPublishesEveryResultOnce() async throws {
    guard
      let bed = try WindowedCountsTestbed.start(
        "tributary-connectors-js", publish: { try Self.publish(to: $0, stream: "events") })
    else { return }
    defer { bed.stop() }
    let (binary, nats, checkpoints) = (bed.binary, bed.nats, bed.checkpoints)
    let connection = try NATSConnection(url: nats.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: "results", subjects: ["results"])
    let arguments = [
      "--source", "jetstream", "--nats-url", nats.url, "--nats-stream", "events",
      "--nats-bounded", "--sink", "jetstream", "--nats-subject", "results",
      "--checkpoint-dir", checkpoints.path, "--checkpoint-interval", "50ms", "--parallelism", "2",
    ]
    var rng = SplitMix64(seed: 7)
    for _ in 0..<2 {
      let run = try await runAndKillAfterCheckpoints(
        binary, arguments, checkpoints: checkpoints, count: 2, extraMillis: 40, rng: &rng)
      #expect(!run.failedByItself, "the run failed by itself:\n\(run.output)")
    }
    let last = try runProcess(binary, arguments, mergingStandardError: true)
    #expect(last.status == 0, "the last run failed:\n\(last.output)")
    let reader = try jetStream.makeSubjectReader(stream: "results", subject: "results", after: 0)
    defer { reader.close() }
    var published: [String] = []
    while true {
      let batch = try reader.fetch(max: 1_000, timeout: .milliseconds(500))
      if batch.isEmpty { break }
      published += batch.map { String(decoding: $0.payload, as: UTF8.self) }
    }
    expectSameElements(published, Self.expectedRows())
  }

  @Test func theAnomalyDemoReadsJetStreamAndCommitsAlertsToPostgres() async throws {
    guard let binary = builtExecutable("anomaly-detection") else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let nats = try NATSServer.start()
    defer { nats.stop() }
    let postgres = try PostgresServer.start()
    defer { postgres.stop() }
    // 8 sensors over 2 subjects, a reading every 30 s for a day; sensor 5
    // jumps far out of its range once, at reading 2,000.
    let connection = try NATSConnection(url: nats.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: "readings", subjects: ["readings.*"])
    var rng = SplitMix64(seed: 11)
    var messages: [JetStreamOutgoingMessage] = []
    for tick in 0..<2_880 {
      for sensor in 0..<8 {
        let noise = Double(rng.next() % 1_000) / 1_000
        var value = 20 + 5 * sin(Double(tick) / 458.0 * .pi) + noise
        if sensor == 5 && tick == 2_000 { value += 80 }
        messages.append(
          JetStreamOutgoingMessage(
            subject: "readings.\(sensor % 2)",
            payload: Array("\(sensor),\(tick * 30_000),\(value)".utf8), messageID: nil))
      }
    }
    _ = try jetStream.publishAll(messages)
    let root = try temporaryDirectory("tributary-anomaly-connectors")
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try runProcess(
      binary,
      [
        "--source", "jetstream", "--nats-url", nats.url, "--nats-stream", "readings",
        "--nats-bounded", "--alerts-to", "postgres", "--postgres-url", postgres.url,
        "--postgres-table", "alerts", "--quiet", "--parallelism", "2",
        "--checkpoint-dir", root.appendingPathComponent("checkpoints").path,
        "--output", root.appendingPathComponent("out").path,
      ], mergingStandardError: true)
    #expect(run.status == 0, "\(run.output)")
    let db = try PostgresConnection(url: postgres.url)
    defer { db.close() }
    let spikes = try db.execute(
      "SELECT event_time_ms FROM alerts WHERE sensor = 'sensor-0005' AND kind = 'spike'"
    ).rows.compactMap { $0.first ?? nil }.compactMap { Int64($0) }
    #expect(spikes.contains(2_000 * 30_000), "the spike is detected: \(spikes)\n\(run.output)")
    #expect(try db.execute("SELECT gid FROM pg_prepared_xacts").rows.isEmpty)
  }
}
