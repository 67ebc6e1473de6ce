/// How a PostgreSQL sink writes.
public enum PostgresSinkMode: Sendable, Equatable {
  /// Two-phase commit: per subtask and checkpoint one transaction, prepared
  /// at the barrier (`PREPARE TRANSACTION`) and committed when the checkpoint
  /// completes (`COMMIT PREPARED`). Killed at any moment and restarted, the
  /// table holds each row exactly once. Rows become visible per checkpoint.
  case exactlyOnce
  /// Idempotent writes: rows are upserted by `keyColumns` (a unique index on
  /// them is created if missing) and committed per batch; a replay after a
  /// restore overwrites rows with the same values.
  case upsert(keyColumns: [String])
  /// Rows are committed per batch at once; a replay after a restore writes
  /// the rows since the checkpoint again.
  case atLeastOnce
}

/// A column of the sink's table.
public struct PostgresColumn: Sendable, Equatable {
  /// Its name (quoted as an identifier).
  public var name: String
  /// Its SQL type, e.g. `bigint`, `text`, `double precision`.
  public var type: String
  /// Creates a column.
  public init(_ name: String, _ type: String) {
    self.name = name
    self.type = type
  }
}

/// Where and how a PostgreSQL sink writes.
public struct PostgresSinkOptions: Sendable {
  /// The database, e.g. `postgresql://user@127.0.0.1:5432/db`.
  public var url: String
  /// The table; created with ``columns`` if missing.
  public var table: String
  /// The table's columns, in the order of the values a record maps to.
  public var columns: [PostgresColumn]
  /// Guarantee and write path.
  public var mode: PostgresSinkMode
  /// Identifies the job in prepared transactions' names
  /// (`tributary:<job>:<sink>:<subtask>:<checkpoint>`): keep it stable across
  /// restarts of one job and distinct between jobs writing to one database.
  public var jobID: String

  /// Creates options; see the properties for their meaning.
  public init(
    url: String, table: String, columns: [PostgresColumn], mode: PostgresSinkMode = .exactlyOnce,
    jobID: String
  ) {
    self.url = url
    self.table = table
    self.columns = columns
    self.mode = mode
    self.jobID = jobID
  }
}
