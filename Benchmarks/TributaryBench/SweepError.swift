/// Why a sweep stopped.
enum SweepError: Error, CustomStringConvertible {
  /// A `run` or `recover` subprocess failed.
  case pointFailed(arguments: [String], status: Int32)
  /// A subprocess printed no JSON line.
  case unreadableReport(String)
  /// The plot script failed or could not start.
  case plotFailed(script: String, status: Int32)
  /// An option value is unusable.
  case invalidOption(String)

  var description: String {
    switch self {
    case .pointFailed(let arguments, let status):
      return "tributary-bench \(arguments.joined(separator: " ")) exited with status \(status); "
        + "run that command alone to see why (the rows of completed rounds are in the CSV)"
    case .unreadableReport(let output):
      return "a benchmark run printed no JSON line (output: \(output.prefix(500)))"
    case .plotFailed(let script, let status):
      return "the plot script \(script) exited with status \(status); install matplotlib "
        + "(scripts/install-deps.sh installs python3-matplotlib) and rerun it on the CSV, "
        + "or pass --no-plot"
    case .invalidOption(let message):
      return message
    }
  }
}
