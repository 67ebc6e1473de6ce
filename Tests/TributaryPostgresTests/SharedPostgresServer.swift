import TestServers
import Testing
import TributaryPostgres

/// Starts one PostgreSQL server around a whole suite (nested suites included) and stops it
/// afterwards; tests reach it through ``SharedPostgresServer/current``. Tests sharing it use
/// tables of their own and never stop or kill it.
struct SharedPostgresServer: SuiteTrait, TestScoping {
  @TaskLocal static var current: PostgresServer?

  func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try await Self.$current.withValue(server) { try await function() }
  }

  /// The suite's server; fails the test when used outside a suite with this trait.
  static func server() throws -> PostgresServer {
    try #require(current, "the suite needs the .sharedPostgresServer trait")
  }

  /// A new connection to the suite's server.
  static func connect() throws -> PostgresConnection {
    try PostgresConnection(url: server().url)
  }
}

extension Trait where Self == SharedPostgresServer {
  /// One PostgreSQL server for the suite, see ``SharedPostgresServer``.
  static var sharedPostgresServer: Self { Self() }
}

/// The single value of a one-row, one-column result.
func scalar(_ connection: PostgresConnection, _ sql: String) throws -> String? {
  let result = try connection.execute(sql)
  try #require(result.rows.count == 1 && result.columns.count == 1, "\(sql) -> \(result)")
  return result.rows[0][0]
}
