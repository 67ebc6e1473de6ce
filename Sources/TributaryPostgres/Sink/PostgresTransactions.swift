import Synchronization
import Tributary

/// The job-side half of the two-phase commit: commits prepared transactions
/// of completed checkpoints and rolls back those a restore supersedes, on a
/// connection of its own (opened when first needed, re-opened after a loss).
/// Thread-safe: the checkpoint coordinator calls it from any thread.
final class PostgresTransactions: Sendable {
  private let url: String
  private let prefix: String
  private let connection = Mutex<PostgresConnection?>(nil)

  init(url: String, prefix: String) {
    self.url = url
    self.prefix = prefix
  }

  var hooks: SinkTransactions {
    SinkTransactions(
      commit: { [self] bytes in try commit(try [String].decode(bytes)) },
      supersede: { [self] resumedFrom, resumedFinished in
        try rollBackSuperseded(resumedFrom: resumedFrom, resumedFinished: resumedFinished)
      })
  }

  /// `COMMIT PREPARED` each name; a name no longer prepared was committed
  /// before (commits repeat after a crash), so it is skipped.
  func commit(_ names: [String]) throws {
    try withConnection { connection in
      for name in names {
        do {
          _ = try connection.execute(
            "COMMIT PREPARED \(PostgresConnection.quoteLiteral(name))")
        } catch let error as PostgresError where error.sqlState == "42704" {
          continue  // undefined_object: already committed
        }
      }
    }
  }

  /// Rolls back this sink's prepared transactions that the resumed
  /// checkpoint does not cover; returns a line for the job's log.
  func rollBackSuperseded(resumedFrom: Int64, resumedFinished: Bool) throws -> String? {
    try withConnection { connection in
      let result = try connection.execute(
        "SELECT gid FROM pg_prepared_xacts WHERE starts_with(gid, $1) ORDER BY gid", [prefix])
      var rolledBack: [String] = []
      for row in result.rows {
        guard let gid = row.first ?? nil,
          let name = PreparedTransactionName(parsing: gid, prefix: prefix),
          name.isSuperseded(resumedFrom: resumedFrom, resumedFinished: resumedFinished)
        else { continue }
        do {
          _ = try connection.execute("ROLLBACK PREPARED \(PostgresConnection.quoteLiteral(gid))")
          rolledBack.append(gid)
        } catch let error as PostgresError where error.sqlState == "42704" {
          continue
        }
      }
      guard !rolledBack.isEmpty else { return nil }
      return "rolled back \(rolledBack.count) prepared PostgreSQL transaction(s) newer than "
        + "checkpoint \(resumedFrom): \(rolledBack.joined(separator: ", "))"
    }
  }

  private func withConnection<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
    try connection.withLock { cached in
      if let open = cached, open.isAlive {
        do { return try body(open) } catch let error as PostgresError where error.isConnectionLost {
          cached = nil
        }
      }
      let fresh = try PostgresConnection(url: url)
      cached = fresh
      return try body(fresh)
    }
  }
}
