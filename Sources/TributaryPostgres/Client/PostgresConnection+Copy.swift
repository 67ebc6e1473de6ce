import CLibPQ

extension PostgresConnection {
  /// Streams `rows` into `table` with `COPY table (columns) FROM STDIN` in text format: the
  /// fast path for bulk inserts.
  ///
  /// `table` and each column name are quoted as single identifiers (see
  /// ``quoteIdentifier(_:)``: case is kept and a dot is part of the name; set `search_path`
  /// for another schema). An empty `columns` means every column of the table, in its order.
  /// Values are text (converted by the server to the column types) and may contain any
  /// character but NUL; they are never NULL. Rows are sent in order, in chunks of about
  /// 64 KiB, as the sequence yields them.
  ///
  /// The copy is one command: it inserts all rows or none. Inside an open transaction
  /// (BEGIN … PREPARE TRANSACTION / COMMIT) the rows are part of that transaction, and a
  /// failed copy leaves the transaction aborted (send ROLLBACK).
  ///
  /// - Returns: the number of rows the server inserted.
  /// - Throws: ``PostgresError`` when the server rejects a row (e.g. `22P02` for a value of
  ///   the wrong type, `23505` for a duplicate key) or the table or a column does not exist
  ///   (`42P01`, `42703`); when a row has a number of values other than `columns.count` or a
  ///   value holds NUL (nothing of the copy is kept). Unless the error says
  ///   ``PostgresError/isConnectionLost``, the connection is idle and usable afterwards.
  public func copy(
    into table: String, columns: [String], rows: some Sequence<[String]>
  ) throws(PostgresError) -> Int {
    var target = Self.quoteIdentifier(table)
    if !columns.isEmpty {
      target += " (" + columns.map(Self.quoteIdentifier).joined(separator: ", ") + ")"
    }
    let operation = "copy into \(target)"
    let connection = try openHandle(for: operation)
    guard !target.containsNUL else {
      throw failure("the table or a column name contains a NUL byte", operation: operation)
    }
    let start = NativeResult(PQexec(connection, "COPY \(target) FROM STDIN"))
    guard start.status == PGRES_COPY_IN else {
      if start.succeeded {
        throw failure("the server did not start the COPY", operation: operation)
      }
      throw failure(start, operation: operation)
    }
    _ = consume start

    var encoder = CopyTextEncoder()
    var rowCount = 0
    for row in rows {
      if !columns.isEmpty, row.count != columns.count {
        throw abortCopy(
          connection,
          reason: "row \(rowCount + 1) has \(row.count) values for \(columns.count) columns",
          operation: operation)
      }
      if let column = encoder.append(row) {
        throw abortCopy(
          connection,
          reason: "row \(rowCount + 1), value \(column + 1) contains a NUL byte, "
            + "which PostgreSQL text cannot hold",
          operation: operation)
      }
      rowCount += 1
      if encoder.isFull {
        try send(encoder.bytes, connection, operation: operation)
        encoder.removeAll()
      }
    }
    try send(encoder.bytes, connection, operation: operation)

    guard PQputCopyEnd(connection, nil) == 1 else {
      throw collectResults(connection, operation: operation).error
        ?? failure(
          Self.connectionMessage(connection) ?? "ending the COPY failed",
          operation: operation)
    }
    let outcome = collectResults(connection, operation: operation)
    if let error = outcome.error { throw error }
    return outcome.affectedRows ?? rowCount
  }

  /// Sends one chunk of encoded rows (`PQputCopyData`, blocking).
  private func send(
    _ bytes: [UInt8], _ connection: OpaquePointer, operation: String
  ) throws(PostgresError) {
    guard !bytes.isEmpty else { return }
    let status = bytes.withUnsafeBytes { buffer in
      PQputCopyData(
        connection, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count))
    }
    guard status == 1 else {
      throw collectResults(connection, operation: operation).error
        ?? failure(
          Self.connectionMessage(connection) ?? "sending COPY data failed",
          operation: operation)
    }
  }

  /// Ends a COPY in progress with an error (the server discards every row of it), waits
  /// until the connection is idle, and returns the error for `reason`, or the connection's
  /// failure if it broke meanwhile.
  private func abortCopy(
    _ connection: OpaquePointer, reason: String, operation: String
  ) -> PostgresError {
    _ = PQputCopyEnd(connection, reason)
    let error = collectResults(connection, operation: operation).error
    if let error, error.isConnectionLost { return error }
    return failure(reason, operation: operation)
  }

  /// Reads the results libpq still holds until it has none, ending a COPY still open on the
  /// way (its rows are discarded), so the connection is idle afterwards. Returns the row count
  /// of the last completed command and the first error.
  func collectResults(
    _ connection: OpaquePointer, operation: String
  ) -> (affectedRows: Int?, error: PostgresError?) {
    var affectedRows: Int?
    var firstError: PostgresError?
    // Bounded: a connection stuck in a copy state must not loop forever.
    for _ in 0..<1_000 {
      let result = NativeResult(PQgetResult(connection))
      guard result.handle != nil else { return (affectedRows, firstError) }
      let status = result.status
      if result.succeeded {
        affectedRows = result.affectedRows
      } else if status == PGRES_COPY_IN {
        _ = PQputCopyEnd(connection, "abandoned by the client")
      } else if status == PGRES_COPY_OUT {
        Self.discardCopyOutput(connection)
      } else if firstError == nil {
        firstError = failure(result, operation: operation)
      }
    }
    return (
      affectedRows, firstError ?? failure("libpq kept returning results", operation: operation)
    )
  }

  /// Reads and drops the rest of a `COPY … TO STDOUT`.
  private static func discardCopyOutput(_ connection: OpaquePointer) {
    var buffer: UnsafeMutablePointer<CChar>?
    while true {
      let length = PQgetCopyData(connection, &buffer, 0)
      if let chunk = buffer {
        PQfreemem(chunk)
        buffer = nil
      }
      if length < 0 { return }
    }
  }
}
