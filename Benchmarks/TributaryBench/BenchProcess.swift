import Foundation

/// Runs this executable again as a subprocess (each point in its own process,
/// so its peak RSS is its own), and other programs.
enum BenchProcess {
  /// The path of the running executable.
  static var executablePath: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
  }

  /// Runs `tributary-bench arguments…` and parses its JSON line.
  static func report(_ arguments: [String]) throws -> BenchReport {
    let (status, output) = try run(executablePath, arguments)
    guard status == 0 else { throw SweepError.pointFailed(arguments: arguments, status: status) }
    return try BenchReport(parsing: output)
  }

  /// Runs `path` with `arguments` to completion; standard error passes through.
  static func run(_ path: String, _ arguments: [String]) throws -> (
    status: Int32, output: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// The first line `command` prints, or `nil` when it cannot run.
  static func firstLine(of command: [String]) -> String? {
    guard let (status, output) = try? run("/usr/bin/env", command), status == 0 else {
      return nil
    }
    return output.split(separator: "\n").first.map(String.init)
  }
}
