import Testing
import TributaryPostgres

extension PostgresClientTests {
  @Suite struct CopyTests {
    /// Values with every byte the text format escapes, and look-alikes of its escapes.
    private static let awkward = [
      "plain", "", "tab\there", "new\nline", "back\\slash", "carriage\rreturn", "\\N", "\\.",
      "\\t literal", "trailing\\", "\r\n\t\\", "ünïcødé 🚀", "quote ' \" ,", "NULL", " ",
    ]

    private static func row(_ id: Int) -> [String] {
      [String(id), awkward[id % awkward.count], "\(awkward[(id / 7) % awkward.count])#\(id)"]
    }

    @Test func hundredThousandRowsWithEscapedBytesRoundTrip() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE copied (id int PRIMARY KEY, a text, b text)")
      let count = 100_000
      let rows = (0..<count).lazy.map(Self.row)
      #expect(try connection.copy(into: "copied", columns: ["id", "a", "b"], rows: rows) == count)

      let result = try connection.execute("SELECT id, a, b FROM copied ORDER BY id")
      #expect(result.rows.count == count)
      var mismatches = 0
      for (id, row) in result.rows.enumerated() where row != Self.row(id).map(Optional.some) {
        mismatches += 1
        if mismatches <= 3 { Issue.record("row \(id): \(row) != \(Self.row(id))") }
      }
      #expect(mismatches == 0)
    }

    @Test func copyWithoutColumnsFillsEveryColumnAndEmptyInputCopiesNothing() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE all_columns (k text, v int)")
      #expect(try connection.copy(into: "all_columns", columns: [], rows: [["a", "1"]]) == 1)
      #expect(try connection.copy(into: "all_columns", columns: ["k"], rows: []) == 0)
      #expect(try connection.execute("SELECT k, v FROM all_columns").rows == [["a", "1"]])
    }

    @Test func badRowAbortsTheWholeCopyAndConnectionStaysUsable() throws {
      let connection = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE strict_rows (id int, v text)")
      let good = (0..<50_000).map { [String($0), "v"] }  // more than one 64 KiB chunk

      let short = #expect(throws: PostgresError.self) {
        try connection.copy(into: "strict_rows", columns: ["id", "v"], rows: good + [["1"]])
      }
      #expect(short?.message == "row 50001 has 1 values for 2 columns")
      #expect(short?.isConnectionLost == false)

      let nul = #expect(throws: PostgresError.self) {
        try connection.copy(into: "strict_rows", columns: ["id", "v"], rows: [["1", "a\u{0}"]])
      }
      #expect(nul?.message.contains("row 1, value 2 contains a NUL byte") == true)

      let typed = #expect(throws: PostgresError.self) {
        try connection.copy(into: "strict_rows", columns: ["id", "v"], rows: good + [["x", "v"]])
      }
      #expect(typed?.sqlState == "22P02")
      #expect(typed?.isConnectionLost == false)

      #expect(try scalar(connection, "SELECT count(*) FROM strict_rows") == "0")
      #expect(try connection.copy(into: "strict_rows", columns: ["id", "v"], rows: good) == 50_000)
    }

    @Test func copyJoinsTheOpenTransaction() throws {
      let connection = try SharedPostgresServer.connect()
      let other = try SharedPostgresServer.connect()
      _ = try connection.execute("CREATE TABLE transactional (v text)")
      _ = try connection.execute("BEGIN")
      #expect(
        try connection.copy(into: "transactional", columns: ["v"], rows: [["a"], ["b"]]) == 2)
      #expect(try scalar(other, "SELECT count(*) FROM transactional") == "0")
      _ = try connection.execute("ROLLBACK")
      #expect(try scalar(connection, "SELECT count(*) FROM transactional") == "0")
    }
  }
}
