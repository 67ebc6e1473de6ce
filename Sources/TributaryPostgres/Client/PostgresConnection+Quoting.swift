extension PostgresConnection {
  /// Quotes `name` as one SQL identifier: `"name"` with every `"` doubled. The result is
  /// case-sensitive and safe to splice into SQL text (`CREATE TABLE \(quoted) …`); a dot
  /// inside `name` stays part of the name (quote schema and table separately).
  public static func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
  }

  /// Quotes `value` as one SQL string literal: `'value'` with every `'` doubled. When the
  /// value holds a backslash it becomes `E'…'` with backslashes doubled too (as libpq's
  /// `PQescapeLiteral` does), so the literal means the same whatever the server's
  /// `standard_conforming_strings`. Prefer parameters (``execute(_:_:)``) for values.
  public static func quoteLiteral(_ value: String) -> String {
    let quoted = value.replacing("'", with: "''")
    guard value.contains("\\") else { return "'" + quoted + "'" }
    return "E'" + quoted.replacing("\\", with: "\\\\") + "'"
  }
}
