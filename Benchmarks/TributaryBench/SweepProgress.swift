import Foundation

/// Progress of a sweep on standard error: the step, how many are left and the
/// estimated time remaining (from the estimated cost of the remaining steps,
/// scaled by how the steps so far compared with their estimates).
struct SweepProgress {
  let totalSteps: Int
  private(set) var doneSteps = 0
  private var estimatedLeft: Double
  private var estimatedDone = 0.0
  private let start = monotonicNanos()

  /// A sweep of `totalSteps` steps whose estimated costs add up to `estimatedSeconds`.
  init(totalSteps: Int, estimatedSeconds: Double) {
    self.totalSteps = totalSteps
    estimatedLeft = estimatedSeconds
  }

  /// Seconds since the sweep started.
  var elapsedSeconds: Double { Double(monotonicNanos() - start) / 1e9 }

  /// Announces the next step.
  func starting(_ description: String) {
    let elapsed = elapsedSeconds
    var eta = "estimating"
    if estimatedDone > 0 {
      eta = "about " + Self.format(estimatedLeft * elapsed / estimatedDone) + " left"
    } else if estimatedLeft > 0 {
      eta = "about " + Self.format(estimatedLeft) + " left"
    }
    let line =
      "[\(doneSteps + 1)/\(totalSteps)] \(description) — \(totalSteps - doneSteps) steps to go, "
      + "\(Self.format(elapsed)) elapsed, \(eta)\n"
    FileHandle.standardError.write(Data(line.utf8))
  }

  /// Marks a step as done that was estimated to take `estimatedSeconds`.
  mutating func finished(estimatedSeconds: Double) {
    doneSteps += 1
    estimatedDone += estimatedSeconds
    estimatedLeft = max(0, estimatedLeft - estimatedSeconds)
  }

  /// `1h02m`, `3m05s` or `42s`.
  static func format(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3_600 { return String(format: "%dh%02dm", s / 3_600, s % 3_600 / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
  }
}
