import Foundation
import Logging

/// A swift-log handler writing one line per message,
/// `2026-12-04T12:00:00.123Z info resuming from checkpoint checkpoint=7 directory=ckpt`:
/// UTC time, level, message, then the metadata as sorted `key=value` pairs
/// (values with spaces quoted).
///
/// Each line goes to `output` whole, at once (by default written unbuffered to
/// standard output, so a process killed with `kill -9` has shown everything it
/// logged). Thread-safe: it holds no mutable shared state.
public struct LineLogHandler: LogHandler {
  /// Messages below this level are dropped.
  public var logLevel: Logger.Level
  /// Metadata every line carries.
  public var metadata: Logger.Metadata = [:]
  /// Metadata keys left out of lines (set by the pipeline: the job name is the same on every line).
  public var hiddenKeys: Set<String>
  private let output: @Sendable (String) -> Void

  /// A handler at `level` writing lines to `output` (default: standard output).
  public init(
    level: Logger.Level = .info, hiddenKeys: Set<String> = ["job"],
    output: @escaping @Sendable (String) -> Void = LineLogHandler.standardOutput
  ) {
    self.logLevel = level
    self.hiddenKeys = hiddenKeys
    self.output = output
  }

  /// Writes `line` and a newline to standard output in one unbuffered write.
  public static let standardOutput: @Sendable (String) -> Void = { line in
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    var line = Date.now.formatted(Self.timeFormat) + " \(event.level) \(event.message)"
    for key in merged.keys.sorted() where !hiddenKeys.contains(key) {
      line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
    }
    output(line)
  }

  private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

  private static func quoted(_ value: String) -> String {
    value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
      ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value
  }
}
