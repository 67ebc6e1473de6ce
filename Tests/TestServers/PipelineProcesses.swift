import Foundation
import Synchronization

/// Built executables of this package, for tests that run a pipeline as a
/// real process.
public enum BuiltExecutables {
  /// The path of executable product `name`: first next to the running test
  /// bundle (so a `--scratch-path` build finds its own products), then in
  /// `.build/debug` and `.build/release`; `nil` when it is not built.
  public static func path(_ name: String) -> String? {
    let besideTests = URL(fileURLWithPath: CommandLine.arguments[0])
      .deletingLastPathComponent().appendingPathComponent(name).path
    if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    for config in ["debug", "release"] {
      let path = root.appendingPathComponent(".build/\(config)/\(name)").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }
}

/// What a running process writes to one of its pipes, split into lines as it
/// arrives (a partial last line waits for its newline). Thread-safe.
public final class ProcessOutputLines: Sendable {
  private let state = Mutex<(lines: [String], partial: String)>(([], ""))

  /// A collector, not yet reading anything.
  public init() {}

  /// The complete lines so far, oldest first.
  public var lines: [String] { state.withLock { $0.lines } }

  /// A pipe whose output is collected from now on; set it as the process's
  /// standard output before `run()`, and call ``stop(_:)`` when done.
  public func collecting() -> Pipe {
    let pipe = Pipe()
    pipe.fileHandleForReading.readabilityHandler = { [self] handle in
      append(handle.availableData)
    }
    return pipe
  }

  /// Stops reading `pipe`.
  public func stop(_ pipe: Pipe) { pipe.fileHandleForReading.readabilityHandler = nil }

  /// The JSON objects among the lines (those that parse as one).
  public var jsonObjects: [[String: Any]] {
    lines.filter { $0.hasPrefix("{") }.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }

  private func append(_ data: Data) {
    state.withLock { s in
      s.partial += String(decoding: data, as: UTF8.self)
      while let newline = s.partial.firstIndex(of: "\n") {
        s.lines.append(String(s.partial[..<newline]))
        s.partial = String(s.partial[s.partial.index(after: newline)...])
      }
    }
  }
}
