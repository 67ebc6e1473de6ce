import TestServers
import Testing
import TributaryPostgres

/// The sink's two-phase commit against a real server: rows copied and prepared under a gid
/// stay invisible, survive the writer's connection and a crash of the server, and become
/// visible (COMMIT PREPARED) or vanish (ROLLBACK PREPARED) from any later connection.
/// Each test has a server of its own because it crashes or would see the other's gids.
@Suite struct TwoPhaseCommitTests {
  private static let rows = (0..<1_000).map { [String($0), "payload \t\n\\ \($0)"] }

  /// BEGIN; COPY; PREPARE TRANSACTION `gid` on a connection of its own, which is closed.
  private func prepare(_ gid: String, on server: PostgresServer) throws {
    let writer = try PostgresConnection(url: server.url)
    _ = try writer.execute("CREATE TABLE IF NOT EXISTS sink_rows (id int, payload text)")
    _ = try writer.execute("BEGIN")
    #expect(
      try writer.copy(into: "sink_rows", columns: ["id", "payload"], rows: Self.rows) == 1_000)
    _ = try writer.execute("PREPARE TRANSACTION \(PostgresConnection.quoteLiteral(gid))")
    writer.close()
  }

  private func preparedGIDs(_ connection: PostgresConnection) throws -> [String?] {
    try connection.execute("SELECT gid FROM pg_prepared_xacts ORDER BY gid").rows.map { $0[0] }
  }

  @Test func preparedRowsSurviveCloseAndCrashThenCommitPreparedShowsThem() throws {
    let server = try PostgresServer.start()
    let gid = "tributary:job:op:0:5"
    let reader = try PostgresConnection(url: server.url)
    _ = try reader.execute("CREATE TABLE sink_rows (id int, payload text)")
    try prepare(gid, on: server)

    #expect(try scalar(reader, "SELECT count(*) FROM sink_rows") == "0")
    #expect(try preparedGIDs(reader) == [gid])

    server.kill()
    try server.restart()
    let recovered = try PostgresConnection(url: server.url)
    #expect(try preparedGIDs(recovered) == [gid])
    #expect(try scalar(recovered, "SELECT count(*) FROM sink_rows") == "0")

    _ = try recovered.execute("COMMIT PREPARED \(PostgresConnection.quoteLiteral(gid))")
    #expect(try preparedGIDs(recovered).isEmpty)
    let result = try recovered.execute("SELECT id, payload FROM sink_rows ORDER BY id")
    #expect(result.rows == Self.rows.map { $0.map(Optional.some) })

    // Recovery may retry a commit that already happened: the gid is then unknown (42704).
    let again = #expect(throws: PostgresError.self) {
      try recovered.execute("COMMIT PREPARED \(PostgresConnection.quoteLiteral(gid))")
    }
    #expect(again?.sqlState == "42704")
    #expect(again?.isConnectionLost == false)
  }

  @Test func rollbackPreparedDiscardsTheRows() throws {
    let server = try PostgresServer.start()
    let gid = "tributary:job:op:0:6"
    try prepare(gid, on: server)
    server.stop()
    try server.restart()

    let connection = try PostgresConnection(url: server.url)
    #expect(try preparedGIDs(connection) == [gid])
    _ = try connection.execute("ROLLBACK PREPARED \(PostgresConnection.quoteLiteral(gid))")
    #expect(try preparedGIDs(connection).isEmpty)
    #expect(try scalar(connection, "SELECT count(*) FROM sink_rows") == "0")
  }
}
