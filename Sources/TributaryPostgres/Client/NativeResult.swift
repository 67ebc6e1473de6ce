import CLibPQ

/// Owns one `PGresult` (or libpq's `NULL` for "no result") and clears it when it goes out of
/// scope, so no code path can leak or double-free a result.
struct NativeResult: ~Copyable {
  /// libpq's result; `nil` when libpq returned none (out of memory, no connection).
  let handle: OpaquePointer?

  init(_ handle: OpaquePointer?) { self.handle = handle }

  deinit { PQclear(handle) }

  /// libpq's status; `PGRES_FATAL_ERROR` when there is no result at all.
  var status: ExecStatusType { handle.map(PQresultStatus) ?? PGRES_FATAL_ERROR }

  /// `true` for the statuses that carry no error: a command, rows, or an empty query.
  var succeeded: Bool {
    status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY
  }

  /// One diagnostic field of an error result (``DiagnosticField``), `nil` when absent.
  func errorField(_ field: DiagnosticField) -> String? {
    guard let handle, let value = PQresultErrorField(handle, field.rawValue) else { return nil }
    return String(cString: value)
  }

  /// The whole error text libpq formatted for this result, `nil` when empty.
  var errorMessage: String? {
    guard let handle, let text = PQresultErrorMessage(handle) else { return nil }
    return String(cString: text).trimmedNativeMessage
  }

  /// The row count of the command tag (`PQcmdTuples`), 0 when it has none.
  var affectedRows: Int {
    guard let handle, let tag = PQcmdTuples(handle) else { return 0 }
    return Int(String(cString: tag)) ?? 0
  }

  /// Copies columns, rows and the count into Swift values.
  func materialize() -> PostgresResult {
    guard let handle else { return PostgresResult(columns: [], rows: [], affectedRows: 0) }
    let columnCount = PQnfields(handle)
    let rowCount = PQntuples(handle)
    let columns = (0..<columnCount).map { column in
      PQfname(handle, column).map { String(cString: $0) } ?? ""
    }
    var rows: [[String?]] = []
    rows.reserveCapacity(Int(rowCount))
    for row in 0..<rowCount {
      var values: [String?] = []
      values.reserveCapacity(Int(columnCount))
      for column in 0..<columnCount {
        if PQgetisnull(handle, row, column) != 0 {
          values.append(nil)
        } else {
          let bytes = UnsafeRawBufferPointer(
            start: PQgetvalue(handle, row, column), count: Int(PQgetlength(handle, row, column)))
          values.append(String(decoding: bytes, as: UTF8.self))
        }
      }
      rows.append(values)
    }
    return PostgresResult(columns: columns, rows: rows, affectedRows: affectedRows)
  }
}

/// The `PG_DIAG_*` codes of `PQresultErrorField` (postgres_ext.h defines them as character
/// literals, which Swift does not import).
enum DiagnosticField: Int32 {
  case sqlState = 67  // 'C'
  case primaryMessage = 77  // 'M'
  case detail = 68  // 'D'
  case hint = 72  // 'H'
}

extension String {
  /// libpq's messages end with a newline and sometimes indent their second line with a tab.
  var trimmedNativeMessage: String? {
    var text = Substring(self)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text.isEmpty ? nil : String(text)
  }
}
