import TestServers
import Testing
import TributaryPostgres

/// What a connection does when its server dies under it.
@Suite struct ConnectionLossTests {
  @Test func commandsAfterServerCrashThrowConnectionLost() throws {
    let server = try PostgresServer.start()
    let querying = try PostgresConnection(url: server.url)
    let copying = try PostgresConnection(url: server.url)
    _ = try querying.execute("CREATE TABLE survivors (v text)")
    #expect(querying.isAlive && copying.isAlive)

    server.kill()
    let query = #expect(throws: PostgresError.self) { try querying.execute("SELECT 1") }
    #expect(query?.isConnectionLost == true)
    #expect(query?.description.contains("connect again") == true)
    #expect(!querying.isAlive)
    let again = #expect(throws: PostgresError.self) { try querying.execute("SELECT 1", []) }
    #expect(again?.isConnectionLost == true)

    let copy = #expect(throws: PostgresError.self) {
      try copying.copy(into: "survivors", columns: ["v"], rows: [["x"]])
    }
    #expect(copy?.isConnectionLost == true)

    let refused = #expect(throws: PostgresError.self) {
      try PostgresConnection(url: server.url, connectTimeout: .seconds(2))
    }
    #expect(refused?.isConnectionLost == true)

    try server.restart()
    let fresh = try PostgresConnection(url: server.url)
    #expect(try scalar(fresh, "SELECT count(*) FROM survivors") == "0")
  }

  @Test func stopIsIdempotentAndRestartServesTheSameData() throws {
    let server = try PostgresServer.start(maxPreparedTransactions: 0)
    let connection = try PostgresConnection(url: server.url)
    _ = try connection.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)")
    let disabled = #expect(throws: PostgresError.self) {
      try connection.execute("BEGIN; PREPARE TRANSACTION 'x'")
    }
    #expect(disabled?.sqlState == "55000")  // max_prepared_transactions = 0

    server.stop()
    server.stop()
    #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
    try server.restart()
    let fresh = try PostgresConnection(url: server.url)
    #expect(try scalar(fresh, "SELECT v FROM kept") == "7")
    #expect(fresh.isAlive)
  }
}
