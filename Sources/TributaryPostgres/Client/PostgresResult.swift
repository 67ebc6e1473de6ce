/// The complete outcome of one successful command, copied out of libpq: it holds no C memory
/// and stays valid after the connection is closed.
public struct PostgresResult: Sendable {
  /// The column names of the returned rows, in the server's order; empty for commands
  /// without rows (INSERT, CREATE TABLE, …).
  public let columns: [String]
  /// Every returned row in the order the server sent them (as given by ORDER BY; otherwise
  /// unspecified), each with one text value per column and `nil` for SQL NULL.
  public let rows: [[String?]]
  /// The row count of the command tag (`PQcmdTuples`): rows inserted, updated, deleted,
  /// copied or selected; 0 for commands without a count (CREATE, BEGIN, …).
  public let affectedRows: Int

  /// Creates a result; the client makes these, tests and fakes may too.
  public init(columns: [String], rows: [[String?]], affectedRows: Int) {
    self.columns = columns
    self.rows = rows
    self.affectedRows = affectedRows
  }
}
