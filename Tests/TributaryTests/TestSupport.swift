import Foundation
import TestServers
import Testing

@testable import Tributary

/// Thrown by ``withTimeout(_:_:)`` when the body did not finish in time.
struct TimedOut: Error {}

/// Runs `body`, failing with ``TimedOut`` if it takes longer than `seconds`.
func withTimeout<R: Sendable>(
  _ seconds: Double, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
  try await withThrowingTaskGroup(of: R?.self) { group in
    group.addTask { try await body() }
    group.addTask {
      try await Task.sleep(for: .seconds(seconds))
      return nil
    }
    defer { group.cancelAll() }
    guard let first = try await group.next(), let value = first else { throw TimedOut() }
    return value
  }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory(_ name: String = "tributary-test") throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("\(name)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// The package root (for locating built executables).
let packageRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The path of a built executable product of this package: first next to the running test
/// bundle (so a `--scratch-path` build finds its own products), then in `.build/debug` and
/// `.build/release`.
func builtExecutable(_ name: String) -> String? { BuiltExecutables.path(name) }

/// Runs a process to completion and returns its standard output (with its
/// standard error too when `mergingStandardError`).
func runProcess(_ path: String, _ arguments: [String], mergingStandardError: Bool = false) throws
  -> (status: Int32, output: String)
{
  try KillNine.run(path, arguments, mergingStandardError: mergingStandardError)
}

/// SplitMix64: a seeded generator so test data is reproducible.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Expects `actual` and `expected` to hold the same elements with the same
/// multiplicities, in any order; on failure reports only a short summary.
func expectSameElements<T: Comparable>(
  _ actual: [T], _ expected: [T], sourceLocation: SourceLocation = #_sourceLocation
) {
  let a = actual.sorted()
  let e = expected.sorted()
  if a == e { return }
  let firstDifference =
    zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
  let got = firstDifference < a.count ? "\(a[firstDifference])" : "nothing"
  let want = firstDifference < e.count ? "\(e[firstDifference])" : "nothing"
  let message =
    "got \(a.count) elements, expected \(e.count); first difference at sorted index "
    + "\(firstDifference): got \(got), expected \(want)"
  Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
}

/// The highest checkpoint id with a `_metadata` in the checkpoint root `root` (0 when none).
func newestCompleteCheckpoint(in root: URL) -> Int64 {
  (try? CheckpointStorage(directory: root))?.completedCheckpoints().last ?? 0
}

/// Starts `binary` with `arguments` and kills it with `SIGKILL` a random
/// `0..<extraMillis` ms after it completed `count` checkpoints of its own in
/// `checkpoints` (polled, so a slow machine still gets there; at most 60 s).
func runAndKillAfterCheckpoints(
  _ binary: String, _ arguments: [String], checkpoints: URL, count: Int64 = 1,
  extraMillis: UInt64, rng: inout SplitMix64
) async throws -> KilledRun {
  try await KillNine.runAndKill(
    binary, arguments, after: { newestCompleteCheckpoint(in: checkpoints) }, count: count,
    delayMillis: Int(rng.next() % extraMillis))
}
