import Foundation

/// A JSON value with booleans and numbers told apart (decoded with
/// `JSONDecoder`, which refuses to read `true` as a number or `1` as a boolean).
enum JSONValue: Decodable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let bool = try? container.decode(Bool.self) {
      self = .bool(bool)
    } else if let number = try? container.decode(Double.self) {
      self = .number(number)
    } else if let string = try? container.decode(String.self) {
      self = .string(string)
    } else if let array = try? container.decode([JSONValue].self) {
      self = .array(array)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// `data` parsed.
  static func parse(_ data: Data) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: data)
  }
}

/// Checks JSON values against the schemas of an OpenAPI 3.0 document: the
/// subset the monitoring API's description uses (`type`, `format: int64`,
/// `properties`, `required`, `additionalProperties: false`, `items`,
/// `maxItems`, `enum`, `nullable`, `minimum`/`maximum`, `allOf` and local `$ref`).
/// Written for the tests, independently of the server.
struct SchemaValidator {
  let document: [String: Any]

  /// The problems of `value` against `schema`, each with its JSON path (empty: valid).
  func problems(_ value: JSONValue, against schema: [String: Any], at path: String = "$")
    -> [String]
  {
    if let reference = schema["$ref"] as? String {
      guard let resolved = resolve(reference) else { return ["\(path): unknown $ref \(reference)"] }
      return problems(value, against: resolved, at: path)
    }
    if case .null = value {
      return schema["nullable"] as? Bool == true ? [] : ["\(path): null where not nullable"]
    }
    var found: [String] = []
    for part in schema["allOf"] as? [[String: Any]] ?? [] {
      found += problems(value, against: part, at: path)
    }
    if let allowed = schema["enum"] as? [String] {
      if case .string(let text) = value, allowed.contains(text) {
      } else {
        found.append("\(path): \(value) is not one of \(allowed)")
      }
    }
    switch schema["type"] as? String {
    case "object":
      guard case .object(let object) = value else { return found + ["\(path): not an object"] }
      let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
      for key in schema["required"] as? [String] ?? [] where object[key] == nil {
        found.append("\(path): missing \(key)")
      }
      for (key, child) in object {
        if let property = properties[key] {
          found += problems(child, against: property, at: "\(path).\(key)")
        } else if schema["additionalProperties"] as? Bool == false {
          found.append("\(path): undocumented field \(key)")
        }
      }
    case "array":
      guard case .array(let array) = value else { return found + ["\(path): not an array"] }
      if let most = schema["maxItems"] as? Int, array.count > most {
        found.append("\(path): \(array.count) items, at most \(most)")
      }
      if let items = schema["items"] as? [String: Any] {
        for (index, item) in array.enumerated() {
          found += problems(item, against: items, at: "\(path)[\(index)]")
        }
      }
    case "integer":
      guard case .number(let number) = value, number == number.rounded() else {
        return found + ["\(path): \(value) is not an integer"]
      }
      found += bounds(number, schema, path)
    case "number":
      guard case .number(let number) = value else {
        return found + ["\(path): \(value) is not a number"]
      }
      found += bounds(number, schema, path)
    case "string":
      guard case .string(let text) = value else { return found + ["\(path): not a string"] }
      if schema["format"] as? String == "date-time",
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) == nil
      {
        found.append("\(path): \(text) is not an ISO 8601 date-time")
      }
    case "boolean":
      guard case .bool = value else { return found + ["\(path): not a boolean"] }
    default: break
    }
    return found
  }

  /// The schema of the `status` answer to `method` on `path` (a path as the
  /// document spells it, e.g. `/api/v1/checkpoints/{id}`).
  func responseSchema(_ method: String, _ path: String, status: Int) -> [String: Any]? {
    let paths = document["paths"] as? [String: [String: Any]]
    let operation = paths?[path]?[method.lowercased()] as? [String: Any]
    let response = (operation?["responses"] as? [String: Any])?["\(status)"] as? [String: Any]
    let content = response?["content"] as? [String: [String: Any]]
    return content?.values.first?["schema"] as? [String: Any]
  }

  private func resolve(_ reference: String) -> [String: Any]? {
    let prefix = "#/components/schemas/"
    guard reference.hasPrefix(prefix) else { return nil }
    let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
    return schemas?[String(reference.dropFirst(prefix.count))] as? [String: Any]
  }

  private func bounds(_ number: Double, _ schema: [String: Any], _ path: String) -> [String] {
    var found: [String] = []
    if let least = (schema["minimum"] as? NSNumber)?.doubleValue, number < least {
      found.append("\(path): \(number) < \(least)")
    }
    if let most = (schema["maximum"] as? NSNumber)?.doubleValue, number > most {
      found.append("\(path): \(number) > \(most)")
    }
    return found
  }
}
