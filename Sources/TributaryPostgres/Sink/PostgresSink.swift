import Foundation
import Logging
import Tributary

/// One subtask's PostgreSQL writer (see ``PostgresSinkMode`` for the
/// guarantees of each mode). Used by one task only: it owns its connection.
///
/// Exactly once: the rows since the last barrier are `COPY`'d inside one open
/// transaction; at the barrier it is prepared under
/// `tributary:<job>:<sink>:<subtask>:<checkpoint>` and its name returned as
/// the transaction the job commits once the checkpoint completed. Names of
/// checkpoints that did not complete stay in the list until a later
/// checkpoint commits them. A crash rolls back the open transaction (the
/// connection dies); prepared ones are committed or rolled back by the next
/// run (``PostgresTransactions``).
public final class PostgresSink<T: Sendable>: StreamSink {
  public typealias Input = T
  private let options: PostgresSinkOptions
  private let prefix: String
  private let row: @Sendable (T) -> [String]
  private var connection: PostgresConnection?
  private var subtask = 0
  private var logger = Logger(label: "tributary.postgres")
  private var inTransaction = false
  private var pending: [String] = []
  private var finished = false
  private var finalStateTaken = false

  init(options: PostgresSinkOptions, prefix: String, row: @escaping @Sendable (T) -> [String]) {
    self.options = options
    self.prefix = prefix
    self.row = row
  }

  private var table: String { PostgresConnection.quoteIdentifier(options.table) }
  private var columnNames: [String] { options.columns.map(\.name) }

  public func open(_ context: OperatorContext) throws {
    subtask = context.subtaskIndex
    logger = context.logger
    let connection = try PostgresConnection(url: options.url)
    self.connection = connection
    try Self.createTable(options, on: connection)
  }

  /// Creates the table (and the upsert key index) unless it exists, one
  /// subtask at a time.
  static func createTable(_ options: PostgresSinkOptions, on connection: PostgresConnection) throws
  {
    let table = PostgresConnection.quoteIdentifier(options.table)
    let columns = options.columns.map {
      "\(PostgresConnection.quoteIdentifier($0.name)) \($0.type)"
    }.joined(separator: ", ")
    var statements = ["CREATE TABLE IF NOT EXISTS \(table) (\(columns))"]
    if case .upsert(let keys) = options.mode {
      let index = PostgresConnection.quoteIdentifier("\(options.table)_tributary_key")
      let keyList = keys.map(PostgresConnection.quoteIdentifier).joined(separator: ", ")
      statements.append("CREATE UNIQUE INDEX IF NOT EXISTS \(index) ON \(table) (\(keyList))")
    }
    // Subtasks create the table at the same moment: an advisory lock on the
    // table's name makes them take turns, so `IF NOT EXISTS` sees the other's
    // table instead of racing it on the catalog (unique violations on
    // pg_type, "type already exists").
    let lock =
      "SELECT pg_advisory_xact_lock(hashtext(\(PostgresConnection.quoteLiteral("tributary:" + options.table))))"
    _ = try connection.execute("BEGIN")
    do {
      _ = try connection.execute(lock)
      for statement in statements { _ = try connection.execute(statement) }
      _ = try connection.execute("COMMIT")
    } catch {
      _ = try? connection.execute("ROLLBACK")
      throw error
    }
  }

  public func write(_ batch: [T]) throws {
    guard let connection else { return }
    let rows = batch.lazy.map(row)
    switch options.mode {
    case .exactlyOnce:
      if !inTransaction {
        _ = try connection.execute("BEGIN")
        inTransaction = true
      }
      _ = try connection.copy(into: options.table, columns: columnNames, rows: rows)
    case .atLeastOnce:
      _ = try connection.copy(into: options.table, columns: columnNames, rows: rows)
    case .upsert(let keys):
      try upsert(rows, keys: keys, on: connection)
    }
  }

  /// One transaction per batch: the rows go to a temporary table, then into
  /// the table with `ON CONFLICT (keys) DO UPDATE`.
  private func upsert(
    _ rows: some Sequence<[String]>, keys: [String], on connection: PostgresConnection
  ) throws {
    let staging = PostgresConnection.quoteIdentifier("tributary_staging_\(subtask)")
    let quoted = columnNames.map(PostgresConnection.quoteIdentifier)
    let updates = columnNames.filter { !keys.contains($0) }
      .map {
        "\(PostgresConnection.quoteIdentifier($0)) = EXCLUDED.\(PostgresConnection.quoteIdentifier($0))"
      }
    let conflict = keys.map(PostgresConnection.quoteIdentifier).joined(separator: ", ")
    _ = try connection.execute(
      "BEGIN; CREATE TEMPORARY TABLE IF NOT EXISTS \(staging) (LIKE \(table)) ON COMMIT DELETE ROWS"
    )
    do {
      _ = try connection.copy(
        into: "tributary_staging_\(subtask)", columns: columnNames, rows: rows)
      _ = try connection.execute(
        "INSERT INTO \(table) (\(quoted.joined(separator: ", "))) SELECT DISTINCT ON (\(conflict)) "
          + "\(quoted.joined(separator: ", ")) FROM \(staging) ON CONFLICT (\(conflict)) DO "
          + (updates.isEmpty ? "NOTHING" : "UPDATE SET \(updates.joined(separator: ", "))")
          + "; COMMIT")
    } catch {
      _ = try? connection.execute("ROLLBACK")
      throw error
    }
  }

  public func snapshotState(checkpoint: Int64) throws -> [UInt8]? {
    guard case .exactlyOnce = options.mode else { return nil }
    try prepare(PreparedTransactionName(checkpoint: checkpoint, subtask: subtask))
    try dropCommitted()
    return pending.isEmpty ? nil : pending.encodedBytes()
  }

  public func finish() throws {
    guard case .exactlyOnce = options.mode else { return }
    try prepare(PreparedTransactionName(checkpoint: nil, subtask: subtask))
    finished = true
  }

  /// With checkpointing, the engine asks for the last transactions right
  /// after ``finish()``; the job's final checkpoint commits them.
  public func finalState() throws -> [UInt8]? {
    finalStateTaken = true
    return pending.isEmpty ? nil : pending.encodedBytes()
  }

  /// Without checkpointing (no ``finalState()`` after ``finish()``), the end
  /// of input is the only commit point: the sink commits its transactions here.
  public func close() {
    if finished && !finalStateTaken && !pending.isEmpty {
      do {
        try PostgresTransactions(url: options.url, prefix: prefix).commit(pending)
      } catch {
        // close() cannot throw: say which prepared transactions are left, so
        // they can be committed by hand (COMMIT PREPARED '<name>').
        logger.error(
          """
          PostgreSQL sink: committing at the end of input failed; commit the prepared \
          transactions by hand (COMMIT PREPARED 'name')
          """,
          metadata: ["error": "\(error)", "prepared": "\(pending.joined(separator: ", "))"])
      }
      pending = []
    }
    connection?.close()
    connection = nil
  }

  /// Prepares the open transaction (if it holds rows) as `name`.
  private func prepare(_ name: PreparedTransactionName) throws {
    guard inTransaction, let connection else { return }
    let gid = name.name(prefix: prefix)
    _ = try connection.execute("PREPARE TRANSACTION \(PostgresConnection.quoteLiteral(gid))")
    inTransaction = false
    pending.append(gid)
  }

  /// Forgets pending names the job already committed.
  private func dropCommitted() throws {
    guard !pending.isEmpty, let connection else { return }
    let result = try connection.execute(
      "SELECT gid FROM pg_prepared_xacts WHERE gid = ANY($1::text[])",
      ["{" + pending.map { "\"\($0)\"" }.joined(separator: ",") + "}"])
    let stillPrepared = Set(result.rows.compactMap { $0.first ?? nil })
    pending.removeAll { !stillPrepared.contains($0) }
  }
}

extension DataStream {
  /// Writes every record as one row (`row(record)`: the text values of
  /// `options.columns`, in order) into a PostgreSQL table, creating it if
  /// missing, with the guarantee of `options.mode` (exactly once by default,
  /// by two-phase commit across checkpoints; see ``PostgresSink``).
  ///
  /// Without checkpointing, exactly-once rows are committed at the end of
  /// input. A database that cannot be reached fails the job with a
  /// ``PostgresError`` naming the operation; a restart resumes from the last
  /// checkpoint.
  @discardableResult
  public func writeToPostgres(
    _ options: PostgresSinkOptions, name: String = "PostgresSink",
    row: @escaping @Sendable (T) -> [String]
  ) -> StreamSinkHandle {
    // Instances of a scaled-out job prepare and recover their own transactions.
    let job = executionEnvironment.configuration.instances.scoped(options.jobID)
    let prefix = PreparedTransactionName.prefix(job: job, sink: name)
    let transactions =
      options.mode == .exactlyOnce
      ? PostgresTransactions(url: options.url, prefix: prefix).hooks : nil
    return sink(name: name, transactions: transactions) { _ in
      PostgresSink(options: options, prefix: prefix, row: row)
    }
  }
}
