import Foundation
import Synchronization
import TestServers
import Testing

@testable import Tributary
@testable import TributaryPostgres

/// The PostgreSQL sink against a real server: exactly once by two-phase
/// commit across injected failures and restarts, recovery of prepared
/// transactions, upsert and at-least-once modes.
@Suite(.serialized) struct PostgresSinkTests {
  struct InjectedFailure: Error {}

  /// Fails once at each index in `indices`.
  final class FailureInjector: Sendable {
    private let remaining: Mutex<Set<Int>>
    init(_ indices: Set<Int>) { remaining = Mutex(indices) }
    func check(_ index: Int) throws {
      if remaining.withLock({ $0.remove(index) != nil }) { throw InjectedFailure() }
    }
  }

  static let columns = [PostgresColumn("k", "bigint"), PostgresColumn("v", "text")]

  static func rows(_ server: PostgresServer, _ table: String) throws -> [String] {
    let connection = try PostgresConnection(url: server.url)
    defer { connection.close() }
    return try connection.execute("SELECT k, v FROM \(table)").rows.map {
      "\($0[0] ?? "NULL"),\($0[1] ?? "NULL")"
    }
  }

  static func run(
    server: PostgresServer, table: String, mode: PostgresSinkMode, events: Int, failAt: Set<Int>,
    checkpoints: URL?, parallelism: Int = 2
  ) async throws -> JobResult {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    if let checkpoints {
      config.checkpointing = CheckpointingConfiguration(
        directory: checkpoints.path, settings: CheckpointSettings(intervalMillis: 10))
      config.restartStrategy = .fixedDelay(attempts: failAt.count + 1, delay: .milliseconds(10))
    }
    let env = StreamEnvironment(configuration: config)
    let injector = FailureInjector(failAt)
    env.generate(count: events, ratePerSecond: 40_000) { $0 }
      .map { i in
        try injector.check(i)
        return i
      }
      .writeToPostgres(
        PostgresSinkOptions(
          url: server.url, table: table, columns: columns, mode: mode, jobID: "test-\(table)")
      ) { i in [String(i % 500), "value\t\(i)"] }
    return try await env.execute()
  }

  @Test func exactlyOnceAcrossInjectedFailuresEachRowIsInTheTableOnce() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 6_000
    let result = try await Self.run(
      server: server, table: "exactly", mode: .exactlyOnce, events: events,
      failAt: [1_500, 3_001, 4_700], checkpoints: root)
    #expect((result.checkpoints?.completed ?? 0) >= 1)
    let expected = (0..<events).map { "\($0 % 500),value\t\($0)" }
    #expect(try Self.rows(server, "exactly").sorted() == expected.sorted())
    let connection = try PostgresConnection(url: server.url)
    defer { connection.close() }
    #expect(try connection.execute("SELECT gid FROM pg_prepared_xacts").rows.isEmpty)
  }

  @Test func withoutCheckpointsRowsAreCommittedAtTheEndOfInput() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    _ = try await Self.run(
      server: server, table: "plain", mode: .exactlyOnce, events: 1_000, failAt: [],
      checkpoints: nil)
    #expect(try Self.rows(server, "plain").count == 1_000)
  }

  /// Regression: subtasks creating the table at the same moment raced on the
  /// catalog ("type … already exists", SQLSTATE 42710) and failed the job.
  @Test func manySubtasksCreateTheTableAtOnce() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    for round in 0..<20 {
      _ = try await Self.run(
        server: server, table: "racing\(round)", mode: .atLeastOnce, events: 64, failAt: [],
        checkpoints: nil, parallelism: 16)
      #expect(try Self.rows(server, "racing\(round)").count == 64)
    }
  }

  @Test func upsertKeepsOneRowPerKeyAcrossReplays() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    _ = try await Self.run(
      server: server, table: "upserted", mode: .upsert(keyColumns: ["k"]), events: 3_000,
      failAt: [2_000], checkpoints: root)
    // One row per key, holding one of the values written for it (the
    // generator's subtasks interleave, so which one is not fixed).
    let rows = try Self.rows(server, "upserted")
    #expect(rows.count == 500, "one row per key")
    let written = Set((0..<3_000).map { "\($0 % 500),value\t\($0)" })
    #expect(rows.allSatisfy(written.contains))
  }

  @Test func atLeastOnceLosesNothing() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    _ = try await Self.run(
      server: server, table: "atleast", mode: .atLeastOnce, events: 3_000, failAt: [1_800],
      checkpoints: root)
    let rows = Set(try Self.rows(server, "atleast"))
    #expect(rows == Set((0..<3_000).map { "\($0 % 500),value\t\($0)" }))
  }

  @Test func recoveryRollsBackPreparedTransactionsNewerThanTheResumedCheckpoint() throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let prefix = PreparedTransactionName.prefix(job: "job", sink: "Sink")
    let setup = try PostgresConnection(url: server.url)
    defer { setup.close() }
    _ = try setup.execute("CREATE TABLE t (k bigint)")
    for (checkpoint, value) in [(Int64?(4), 4), (5, 5), (nil, 99)] {
      let name = PreparedTransactionName(checkpoint: checkpoint, subtask: 0).name(prefix: prefix)
      _ = try setup.execute(
        "BEGIN; INSERT INTO t VALUES (\(value)); PREPARE TRANSACTION '\(name)'")
    }
    // A transaction of another job is left alone.
    _ = try setup.execute(
      "BEGIN; INSERT INTO t VALUES (7); PREPARE TRANSACTION 'tributary:other:Sink:0:9'")
    let transactions = PostgresTransactions(url: server.url, prefix: prefix)
    let message = try transactions.rollBackSuperseded(resumedFrom: 4, resumedFinished: false)
    #expect(message?.contains("rolled back 2") == true)
    try transactions.commit(
      [PreparedTransactionName(checkpoint: 4, subtask: 0).name(prefix: prefix)])
    // Committing again (a repeat after a crash) is a no-op.
    try transactions.commit(
      [PreparedTransactionName(checkpoint: 4, subtask: 0).name(prefix: prefix)])
    #expect(try setup.execute("SELECT k FROM t").rows.map { $0[0] } == ["4"])
    let left = try setup.execute("SELECT gid FROM pg_prepared_xacts").rows.compactMap { $0[0] }
    #expect(left == ["tributary:other:Sink:0:9"])
    _ = try setup.execute("ROLLBACK PREPARED 'tributary:other:Sink:0:9'")
  }

  @Test func transactionNamesRoundTripAndOnlyThisSinksNamesParse() {
    let prefix = PreparedTransactionName.prefix(job: "a:b", sink: "S")
    #expect(prefix == "tributary:a_b:S:")
    let name = PreparedTransactionName(checkpoint: 12, subtask: 3)
    #expect(PreparedTransactionName(parsing: name.name(prefix: prefix), prefix: prefix) == name)
    #expect(PreparedTransactionName(parsing: "tributary:x:S:3:12", prefix: prefix) == nil)
    let end = PreparedTransactionName(checkpoint: nil, subtask: 0)
    #expect(end.isSuperseded(resumedFrom: 10, resumedFinished: false))
    #expect(!end.isSuperseded(resumedFrom: 10, resumedFinished: true))
    #expect(!name.isSuperseded(resumedFrom: 12, resumedFinished: false))
  }

  /// A new directory path under the temporary directory (created by the job).
  static func scratchDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tributary-pg-\(UUID().uuidString)")
  }
}
