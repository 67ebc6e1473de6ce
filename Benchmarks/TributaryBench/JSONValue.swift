/// A JSON value for the one-line benchmark report, printed with stable key order.
enum JSONValue {
  case int(Int)
  case int64(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])

  var text: String {
    switch self {
    case .int(let v): return String(v)
    case .int64(let v): return String(v)
    case .double(let v): return v.isFinite ? String(v) : "null"
    case .string(let v):
      var escaped = ""
      for scalar in v.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        default: escaped.unicodeScalars.append(scalar)
        }
      }
      return "\"\(escaped)\""
    case .array(let values):
      return "[" + values.map(\.text).joined(separator: ",") + "]"
    }
  }
}

/// Renders ordered key-value pairs as one JSON object on one line.
func jsonLine(_ fields: [(String, JSONValue)]) -> String {
  "{" + fields.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}"
}
