import Foundation
import Logging

/// A swift-log handler writing one JSON object per message, for log shippers:
/// `{"time":"2026-12-04T12:00:00.123Z","level":"info","logger":"tributary",
/// "message":"resuming from checkpoint","checkpoint":"7","job":"word-count"}`.
///
/// `time`, `level`, `logger` and `message` come first; every metadata entry
/// follows as a field of its own (strings; nested metadata as JSON arrays and
/// objects), in sorted order. A metadata key that collides with one of the
/// four fixed fields is written with a `meta_` prefix. Each line goes to
/// `output` whole, at once. Thread-safe: it holds no mutable shared state.
public struct JSONLineLogHandler: LogHandler {
  /// Messages below this level are dropped.
  public var logLevel: Logger.Level
  /// Metadata every line carries.
  public var metadata: Logger.Metadata = [:]
  private let label: String
  private let output: @Sendable (String) -> Void

  /// A handler for logger `label` at `level` writing lines to `output`
  /// (default: standard output, unbuffered).
  public init(
    label: String, level: Logger.Level = .info,
    output: @escaping @Sendable (String) -> Void = LineLogHandler.standardOutput
  ) {
    self.label = label
    self.logLevel = level
    self.output = output
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    var line = "{\"time\":"
    Self.appendString(Date.now.formatted(Self.timeFormat), to: &line)
    line += ",\"level\":"
    Self.appendString(event.level.rawValue, to: &line)
    line += ",\"logger\":"
    Self.appendString(label, to: &line)
    line += ",\"message\":"
    Self.appendString("\(event.message)", to: &line)
    for key in merged.keys.sorted() {
      line += ","
      Self.appendString(Self.fixedFields.contains(key) ? "meta_" + key : key, to: &line)
      line += ":"
      Self.append(merged[key]!, to: &line)
    }
    line += "}"
    output(line)
  }

  private static let fixedFields: Set<String> = ["time", "level", "logger", "message"]
  private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

  private static func append(_ value: Logger.MetadataValue, to line: inout String) {
    switch value {
    case .string(let string): appendString(string, to: &line)
    case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
    case .array(let values):
      line += "["
      for (index, value) in values.enumerated() {
        if index > 0 { line += "," }
        append(value, to: &line)
      }
      line += "]"
    case .dictionary(let entries):
      line += "{"
      for (index, key) in entries.keys.sorted().enumerated() {
        if index > 0 { line += "," }
        appendString(key, to: &line)
        line += ":"
        append(entries[key]!, to: &line)
      }
      line += "}"
    }
  }

  /// Appends `string` as a JSON string literal (RFC 8259 escaping).
  static func appendString(_ string: String, to line: inout String) {
    line += "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": line += "\\\""
      case "\\": line += "\\\\"
      case "\n": line += "\\n"
      case "\r": line += "\\r"
      case "\t": line += "\\t"
      case _ where scalar.value < 0x20:
        line +=
          "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: line.unicodeScalars.append(scalar)
      }
    }
    line += "\""
  }
}
