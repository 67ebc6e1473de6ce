import AnomalyDetectionCore
import Foundation
import Synchronization

/// The live progress line on a terminal (readings, rate, elapsed), kept at the
/// bottom while alerts and messages print above it. On a pipe or file it
/// prints nothing, so logs stay clean.
final class ProgressLine: Sendable {
  static let shared = ProgressLine()
  private let isTerminal = isatty(STDOUT_FILENO) != 0
  /// The line shown, and whether the line was removed for good.
  private let current = Mutex<(line: String, stopped: Bool)>(("", false))

  /// Prints `message` on its own line, above the progress line.
  func printAbove(_ message: String) {
    current.withLock { state in
      if isTerminal && !state.line.isEmpty {
        Swift.print("\r\u{1B}[K\(message)\n\(state.line)", terminator: "")
      } else {
        Swift.print(message)
      }
      fflush(nil)
    }
  }

  /// Removes the progress line for good (a refresh still running prints nothing).
  func clear() {
    current.withLock { state in
      if isTerminal && !state.line.isEmpty { Swift.print("\r\u{1B}[K", terminator: "") }
      state = ("", true)
      fflush(nil)
    }
  }

  /// Starts refreshing the line four times a second; cancel the task to stop.
  func start(counter: ReadingCounter, total: Int) -> Task<Void, Never>? {
    guard isTerminal else { return nil }
    let started = ContinuousClock.now
    return Task {
      var previous = 0
      var previousTime = started
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(250))
        let now = ContinuousClock.now
        let done = counter.value
        let window = (now - previousTime) / .seconds(1)
        let rate = window > 0 ? Double(done - previous) / window : 0
        previous = done
        previousTime = now
        let percent = total > 0 ? min(100, 100 * Double(done) / Double(total)) : 0
        let text = String(
          format: "  %@ readings (%.0f%%), %@/s, %.1f s", formatCount(done), percent,
          formatCount(Int(rate)), (now - started) / .seconds(1))
        current.withLock { state in
          guard !state.stopped else { return }
          state.line = text
          Swift.print("\r\u{1B}[K\(text)", terminator: "")
          fflush(nil)
        }
      }
    }
  }
}
