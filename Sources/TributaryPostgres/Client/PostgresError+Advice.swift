extension PostgresError {
  /// What to do about this error, from the connection state and the SQLSTATE class
  /// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
  var advice: String {
    if isConnectionLost {
      return "The connection is unusable: close it and connect again once the server is "
        + "reachable (check that it runs and that the URL's host, port, user and database "
        + "are right). A transaction open on it was rolled back; a prepared one survives."
    }
    guard let sqlState else {
      return "Nothing was sent to the server; fix the call and retry."
    }
    switch sqlState {
    case "25P02":
      return "An earlier statement failed in this transaction: ROLLBACK before sending more."
    case "3D000":
      return "The database does not exist: create it or fix the URL."
    case "42704":
      return "The named object (e.g. a prepared transaction's gid) does not exist."
    default:
      break
    }
    switch sqlState.prefix(2) {
    case "08":
      return "The connection failed: check the server and the URL, then reconnect."
    case "22":
      return "A value does not fit its column's type or encoding: fix the data."
    case "23":
      return "The data violates a constraint of the table: fix the rows or the constraint."
    case "25":
      return "The command does not fit the transaction's state (e.g. inside or outside "
        + "BEGIN): check the order of BEGIN, COMMIT and PREPARE TRANSACTION."
    case "28":
      return "The server refused the login: check the user and password."
    case "40":
      return "The transaction was rolled back (serialization failure or deadlock): retry it."
    case "42":
      return "The statement is wrong for this database (syntax, missing table or column, "
        + "permissions): fix the SQL or create the missing object."
    case "53":
      return "The server is out of a resource (disk, memory, connections, "
        + "max_prepared_transactions): free some or raise the limit, then retry."
    case "55", "57":
      return "The server cancelled or is shutting down: retry once it is available again."
    default:
      return "See the PostgreSQL documentation of SQLSTATE \(sqlState)."
    }
  }
}
