import CLibPQ

extension PostgresConnection {
  /// Runs `sql` (`PQexec`) and returns the result of its last statement.
  ///
  /// Several statements separated by `;` are allowed; they run in order, inside one implicit
  /// transaction unless the text has its own BEGIN/COMMIT, and the first failure stops the
  /// rest. `COPY … FROM STDIN` / `TO STDOUT` are refused: use
  /// ``copy(into:columns:rows:)``.
  ///
  /// - Throws: ``PostgresError`` with the server's SQLSTATE and message (e.g. `42601` syntax
  ///   error, `42P01` undefined table); ``PostgresError/isConnectionLost`` tells whether the
  ///   connection is still usable. A text with a NUL byte is refused before sending.
  public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
    let operation = Self.describe(sql)
    let connection = try openHandle(for: operation)
    guard !sql.containsNUL else {
      throw failure("the SQL text contains a NUL byte", operation: operation)
    }
    let result = NativeResult(PQexec(connection, sql))
    return try finish(result, connection: connection, operation: operation)
  }

  /// Runs one statement with `$1 … $n` bound to `parameters` (`PQexecParams`, text format)
  /// and returns its result.
  ///
  /// Values are sent apart from the SQL text, so they need no quoting; `nil` binds SQL NULL.
  /// The server infers each parameter's type from its use (cast with `$1::int` where that is
  /// ambiguous). Only one statement is allowed.
  ///
  /// - Throws: ``PostgresError`` as ``execute(_:)`` does; also when the number of parameters
  ///   does not match the statement (server error `08P01`) or a value holds a NUL byte
  ///   (refused before sending).
  public func execute(_ sql: String, _ parameters: [String?]) throws(PostgresError)
    -> PostgresResult
  {
    let operation = Self.describe(sql)
    let connection = try openHandle(for: operation)
    guard !sql.containsNUL else {
      throw failure("the SQL text contains a NUL byte", operation: operation)
    }
    if let index = parameters.firstIndex(where: { $0?.containsNUL == true }) {
      throw failure(
        "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
        operation: operation)
    }
    let values = CStringArray(parameters)
    let result = NativeResult(
      PQexecParams(
        connection, sql, Int32(parameters.count), nil, values.pointers, nil, nil, 0))
    return try finish(result, connection: connection, operation: operation)
  }

  /// Turns a finished result into a ``PostgresResult`` or an error, and leaves the
  /// connection idle when the statement unexpectedly started a COPY.
  private func finish(
    _ result: consuming NativeResult, connection: OpaquePointer, operation: String
  ) throws(PostgresError) -> PostgresResult {
    if result.succeeded { return result.materialize() }
    let status = result.status
    guard status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH
    else { throw failure(result, operation: operation) }
    _ = consume result
    if let error = collectResults(connection, operation: operation).error, error.isConnectionLost {
      throw error
    }
    throw failure(
      "COPY FROM STDIN and COPY TO STDOUT cannot run through execute; use copy(into:columns:rows:)",
      operation: operation)
  }

  /// A short name for a statement in errors: `execute "…"` with its first 80 characters on
  /// one line.
  static func describe(_ sql: String) -> String {
    let line = sql.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.joined(
      separator: " ")
    let short = line.count > 80 ? line.prefix(77) + "..." : Substring(line)
    return "execute \"\(short)\""
  }
}

extension Substring {
  fileprivate var trimmingSpaces: Substring {
    var text = self
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }
}
