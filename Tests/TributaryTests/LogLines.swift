import Logging
import Synchronization

/// Captures what a job logs, one line per message: the message, then its
/// metadata as sorted `key=value` pairs (`skipping checkpoint checkpoint=7 reason=…`).
final class LogLines: Sendable {
  private let storage = Mutex<[String]>([])

  /// The lines so far, oldest first.
  var lines: [String] { storage.withLock { $0 } }

  /// A logger (at debug level) appending to ``lines``; set it as `JobConfiguration.logger`.
  var logger: Logger {
    Logger(label: "test") { _ in Handler(owner: self) }
  }

  func append(_ line: String) { storage.withLock { $0.append(line) } }

  private struct Handler: LogHandler {
    let owner: LogLines
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      var merged = metadata
      if let extra = event.metadata { merged.merge(extra) { _, new in new } }
      let pairs = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }
      owner.append((["\(event.message)"] + pairs).joined(separator: " "))
    }
  }
}
