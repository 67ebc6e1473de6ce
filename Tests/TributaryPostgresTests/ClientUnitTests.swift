import Testing

@testable import TributaryPostgres

/// The parts of the client that need no server.
@Suite struct ClientUnitTests {
  @Test func quoting() {
    #expect(PostgresConnection.quoteIdentifier("events") == "\"events\"")
    #expect(PostgresConnection.quoteIdentifier("a \"b\" c") == "\"a \"\"b\"\" c\"")
    #expect(PostgresConnection.quoteLiteral("it's") == "'it''s'")
    #expect(PostgresConnection.quoteLiteral("") == "''")
    #expect(PostgresConnection.quoteLiteral("a\\b'") == "E'a\\\\b'''")
  }

  @Test func copyTextEncodingEscapesTheFormatsBytes() {
    var encoder = CopyTextEncoder()
    #expect(encoder.append(["a\tb", "c\nd\\e\rf", ""]) == nil)
    #expect(encoder.append(["ok", "bad\u{0}"]) == 1)
    #expect(encoder.append(["\\N"]) == nil)
    #expect(String(decoding: encoder.bytes, as: UTF8.self) == "a\\tb\tc\\nd\\\\e\\rf\t\n\\\\N\n")
    #expect(!encoder.isFull)
    encoder.removeAll()
    #expect(encoder.bytes.isEmpty)
  }

  @Test func passwordsNeverReachErrorMessages() {
    #expect(
      ConnectionParameters.redact("postgresql://u:pw@h:5/db?password=x&sslmode=disable")
        == "postgresql://u:***@h:5/db?password=***&sslmode=disable")
    #expect(ConnectionParameters.redact("postgresql://u@h/db") == "postgresql://u@h/db")
    #expect(
      ConnectionParameters.redact("host=h password=secret dbname=d")
        == "host=h password=*** dbname=d")
  }

  @Test func timeoutIsWholeSecondsAtLeastOne() {
    #expect(ConnectionParameters.wholeSeconds(.seconds(5)) == 5)
    #expect(ConnectionParameters.wholeSeconds(.milliseconds(1_500)) == 2)
    #expect(ConnectionParameters.wholeSeconds(.zero) == 1)
  }

  @Test func errorDescriptionSaysWhatFailedAndWhatToDo() {
    let error = PostgresError(
      sqlState: "40001", message: "could not serialize access", operation: "execute \"COMMIT\"",
      isConnectionLost: false)
    #expect(
      error.description
        == "PostgreSQL execute \"COMMIT\" failed (SQLSTATE 40001): could not serialize access\n"
        + "The transaction was rolled back (serialization failure or deadlock): retry it.")
    #expect(PostgresConnection.describe("SELECT\n  1") == "execute \"SELECT 1\"")
    #expect(PostgresConnection.describe(String(repeating: "x", count: 100)).count == 90)
  }
}
