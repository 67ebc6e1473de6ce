/// A failure reported by libpq or the PostgreSQL server, or a misuse the client caught
/// before sending anything (a value with a NUL byte, a row with the wrong number of values).
///
/// Every error of ``PostgresConnection`` is one of these; `description` says what failed and
/// what to do about it.
public struct PostgresError: Error, CustomStringConvertible {
  /// The server's five-character SQLSTATE (e.g. `"42P01"`, undefined table), or `nil` when the
  /// error did not come from the server (connection failures, client-side checks).
  public let sqlState: String?
  /// The server's (or libpq's) message; the server's DETAIL and HINT follow on their own lines.
  public let message: String
  /// What the client was doing, e.g. `execute "SELECT 1"` or `copy into "events" ("id")`.
  public let operation: String
  /// `true` when the connection is unusable after this error (libpq's status is no longer
  /// `CONNECTION_OK`, or it was closed): close it and open a new ``PostgresConnection``.
  /// `false` means the connection still works and only this command failed.
  public let isConnectionLost: Bool

  /// Creates an error; the client makes these, tests and fakes may too.
  public init(sqlState: String?, message: String, operation: String, isConnectionLost: Bool) {
    self.sqlState = sqlState
    self.message = message
    self.operation = operation
    self.isConnectionLost = isConnectionLost
  }

  /// One paragraph: the operation, the SQLSTATE, the message and what to do next.
  public var description: String {
    let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
    return "PostgreSQL \(operation) failed\(state): \(message)\n\(advice)"
  }
}
