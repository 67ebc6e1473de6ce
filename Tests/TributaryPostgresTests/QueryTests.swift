import Testing
import TributaryPostgres

/// Every suite of the client that needs a server but never stops it shares one server.
@Suite(.sharedPostgresServer) struct PostgresClientTests {}

extension PostgresClientTests {
  @Suite struct QueryTests {
    @Test func createInsertWithParametersAndSelectBack() throws {
      let connection = try SharedPostgresServer.connect()
      #expect(connection.isAlive)
      let create = try connection.execute(
        "CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, note text)")
      #expect(create.columns.isEmpty && create.rows.isEmpty && create.affectedRows == 0)

      let insert = "INSERT INTO people (id, name, note) VALUES ($1, $2, $3)"
      #expect(try connection.execute(insert, ["1", "Ada", nil]).affectedRows == 1)
      #expect(
        try connection.execute(insert, ["2", "O'Brien \"Bob\"", "tab\there\nline 2 \\ é"])
          .affectedRows == 1)
      #expect(try connection.execute(insert, ["3", "", ""]).affectedRows == 1)

      let result = try connection.execute("SELECT id, name, note FROM people ORDER BY id")
      #expect(result.columns == ["id", "name", "note"])
      #expect(
        result.rows == [
          ["1", "Ada", nil], ["2", "O'Brien \"Bob\"", "tab\there\nline 2 \\ é"], ["3", "", ""],
        ])
      #expect(result.affectedRows == 3)

      let updated = try connection.execute(
        "UPDATE people SET note = $1 WHERE id >= $2::int", ["x", "2"])
      #expect(updated.affectedRows == 2)
      let selected = try connection.execute("SELECT name FROM people WHERE note IS NULL", [])
      #expect(selected.rows == [["Ada"]])
    }

    @Test func severalStatementsReturnTheLastResult() throws {
      let connection = try SharedPostgresServer.connect()
      let result = try connection.execute(
        """
        CREATE TABLE several (n int);
        INSERT INTO several SELECT generate_series(1, 10);
        SELECT count(*) AS total, sum(n) FROM several;
        """)
      #expect(result.columns == ["total", "sum"])
      #expect(result.rows == [["10", "55"]])
      #expect(try connection.execute("").rows.isEmpty)  // an empty query is no error
    }

    @Test func quotedNamesAndLiteralsRoundTrip() throws {
      let connection = try SharedPostgresServer.connect()
      let table = PostgresConnection.quoteIdentifier("Odd \"Name\".table")
      let column = PostgresConnection.quoteIdentifier("Value")
      let value = "it's a 'quote' and a \\ backslash"
      _ = try connection.execute("CREATE TABLE \(table) (\(column) text)")
      _ = try connection.execute(
        "INSERT INTO \(table) VALUES (\(PostgresConnection.quoteLiteral(value)))")
      #expect(try scalar(connection, "SELECT \(column) FROM \(table)") == value)
      #expect(try scalar(connection, "SELECT \(PostgresConnection.quoteLiteral(""))") == "")
    }

    @Test func nullsAndTypesComeBackAsText() throws {
      let connection = try SharedPostgresServer.connect()
      let result = try connection.execute(
        "SELECT $1::int + 1 AS n, $2::text IS NULL AS missing, $3::bytea AS bytes, NULL AS nothing",
        ["41", nil, "\\x0001ff"])
      #expect(result.rows == [["42", "t", "\\x0001ff", nil]])
    }

    @Test func closeIsIdempotentAndLaterCommandsFail() throws {
      let connection = try SharedPostgresServer.connect()
      connection.close()
      connection.close()
      #expect(!connection.isAlive)
      let error = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
      #expect(error?.isConnectionLost == true)
      #expect(error?.message.contains("closed") == true)
    }
  }
}
