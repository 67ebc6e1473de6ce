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

/// How a process started by ``KillNine/runAndKill(_:_:after:count:delayMillis:)`` ended.
public struct KilledRun: Sendable {
  /// Its standard output and error.
  public var output: String
  /// Whether it exited by itself with a non-zero status (before the kill).
  public var failedByItself: Bool
}

/// Runs pipeline executables and kills them with `SIGKILL` mid-run, for the
/// `kill -9` recovery tests of every test target.
public enum KillNine {
  /// Starts `binary` with `arguments` and kills it with `SIGKILL`
  /// `delayMillis` ms after `progress` (polled every 10 ms, typically the
  /// newest completed checkpoint id) has grown by `count` since the start, or
  /// at once if it exited first; gives up waiting after 60 s.
  public static func runAndKill(
    _ binary: String, _ arguments: [String], after progress: () -> Int64, count: Int64 = 1,
    delayMillis: Int
  ) async throws -> KilledRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let before = progress()
    try process.run()
    let deadline = ContinuousClock.now + .seconds(60)
    while process.isRunning && progress() < before + count && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(10))
    }
    try await Task.sleep(for: .milliseconds(delayMillis))
    kill(process.processIdentifier, SIGKILL)
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return KilledRun(
      output: output,
      failedByItself: process.terminationReason == .exit && process.terminationStatus != 0)
  }

  /// Runs `binary` with `arguments` to completion: its exit status and its
  /// standard output (with standard error when `mergingStandardError`).
  public static func run(
    _ binary: String, _ arguments: [String], mergingStandardError: Bool = false
  )
    throws -> (status: Int32, output: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if mergingStandardError { process.standardError = pipe }
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
