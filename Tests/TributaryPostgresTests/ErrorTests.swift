import Testing
import TributaryPostgres

extension PostgresClientTests {
  @Suite struct ErrorTests {
    @Test func syntaxErrorHasSQLState42601AndConnectionStaysUsable() throws {
      let connection = try SharedPostgresServer.connect()
      let error = #expect(throws: PostgresError.self) { try connection.execute("SELEC 1") }
      #expect(error?.sqlState == "42601")
      #expect(error?.message.contains("syntax error at or near \"SELEC\"") == true)
      #expect(error?.operation == "execute \"SELEC 1\"")
      #expect(error?.isConnectionLost == false)
      #expect(error?.description.contains("SQLSTATE 42601") == true)
      #expect(error?.description.contains("fix the SQL") == true)
      #expect(connection.isAlive)
      #expect(try scalar(connection, "SELECT 1") == "1")
    }

    @Test func missingTableHasSQLState42P01() throws {
      let connection = try SharedPostgresServer.connect()
      let plain = #expect(throws: PostgresError.self) {
        try connection.execute("SELECT * FROM no_such_table")
      }
      #expect(plain?.sqlState == "42P01")
      #expect(plain?.message == "relation \"no_such_table\" does not exist")
      let parameterized = #expect(throws: PostgresError.self) {
        try connection.execute("INSERT INTO no_such_table VALUES ($1)", ["x"])
      }
      #expect(parameterized?.sqlState == "42P01")
      let copy = #expect(throws: PostgresError.self) {
        try connection.copy(into: "no_such_table", columns: ["a"], rows: [["x"]])
      }
      #expect(copy?.sqlState == "42P01")
      #expect(copy?.operation == "copy into \"no_such_table\" (\"a\")")
      #expect(try scalar(connection, "SELECT 2") == "2")
    }

    @Test func constraintViolationCarriesDetail() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE unique_keys (id int PRIMARY KEY)")
      _ = try connection.execute("INSERT INTO unique_keys VALUES (1)")
      let error = #expect(throws: PostgresError.self) {
        try connection.execute("INSERT INTO unique_keys VALUES ($1)", ["1"])
      }
      #expect(error?.sqlState == "23505")
      #expect(error?.message.contains("DETAIL: Key (id)=(1) already exists.") == true)
    }

    @Test func failedTransactionMustBeRolledBack() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("BEGIN")
      #expect(throws: PostgresError.self) { try connection.execute("SELECT 1/0") }
      let error = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
      #expect(error?.sqlState == "25P02")
      #expect(error?.description.contains("ROLLBACK") == true)
      _ = try connection.execute("ROLLBACK")
      #expect(try scalar(connection, "SELECT 3") == "3")
    }

    @Test func nulBytesAreRefusedNotTruncated() throws {
      let connection = try SharedPostgresServer.connect()
      let parameter = #expect(throws: PostgresError.self) {
        try connection.execute("SELECT $1::text", ["a\u{0}b"])
      }
      #expect(parameter?.message.contains("parameter $1 contains a NUL byte") == true)
      #expect(parameter?.sqlState == nil && parameter?.isConnectionLost == false)
      #expect(throws: PostgresError.self) { try connection.execute("SELECT 'a\u{0}b'") }
      #expect(try scalar(connection, "SELECT 4") == "4")
    }

    @Test func copyStatementThroughExecuteIsRefusedAndLeavesConnectionIdle() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE copy_via_execute (a text)")
      let into = #expect(throws: PostgresError.self) {
        try connection.execute("COPY copy_via_execute FROM STDIN")
      }
      #expect(into?.message.contains("copy(into:columns:rows:)") == true)
      #expect(into?.isConnectionLost == false)
      _ = try connection.execute("INSERT INTO copy_via_execute VALUES ('x'), ('y')")
      #expect(throws: PostgresError.self) {
        try connection.execute("COPY copy_via_execute TO STDOUT")
      }
      #expect(try scalar(connection, "SELECT count(*) FROM copy_via_execute") == "2")
    }

    @Test func connectingToWrongDatabaseFailsWithServerMessage() throws {
      let server = try SharedPostgresServer.server()
      let error = #expect(throws: PostgresError.self) {
        try PostgresConnection(url: "postgresql://postgres@127.0.0.1:\(server.port)/missing_db")
      }
      #expect(error?.message.contains("database \"missing_db\" does not exist") == true)
      #expect(error?.isConnectionLost == true)
    }

    @Test func connectingWhereNoServerListensFailsPromptly() throws {
      let started = ContinuousClock.now
      let error = #expect(throws: PostgresError.self) {
        try PostgresConnection(
          url: "postgresql://postgres:secret@127.0.0.1:1/tributary",
          connectTimeout: .seconds(2))
      }
      #expect(ContinuousClock.now - started < .seconds(3))
      #expect(error?.isConnectionLost == true)
      #expect(error?.sqlState == nil)
      #expect(error?.message.contains("Connection refused") == true)
      #expect(error?.operation == "connect to postgresql://postgres:***@127.0.0.1:1/tributary")
      #expect(error?.description.contains("secret") == false)
    }
  }
}
