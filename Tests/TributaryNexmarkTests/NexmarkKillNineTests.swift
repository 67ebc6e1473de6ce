import Foundation
import TestServers
import Testing
import TributaryNexmark

@testable import Tributary

/// The `nexmark` pipeline running q5 (hopping windows) and q8 (a window
/// join), killed with `kill -9` three times and started again with the same
/// arguments: the committed results equal the plain reference over the same
/// events, i.e. those of an undisturbed run. One case at a time (each runs a
/// two-worker pipeline process).
@Suite(.serialized) struct NexmarkKillNineTests {
  static let events = 60_000

  @Test(arguments: [
    (NexmarkQuery.q5, "heap"), (NexmarkQuery.q5, "rocksdb"), (NexmarkQuery.q8, "heap"),
    (NexmarkQuery.q8, "rocksdb"),
  ])
  func killNineAndRestartCommitExactlyTheUndisturbedResults(query: NexmarkQuery, backend: String)
    async throws
  {
    guard let binary = BuiltExecutables.path("nexmark") else {
      Issue.record("nexmark is not built; run `swift build` first")
      return
    }
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("nexmark-kill9-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let checkpoints = root.appendingPathComponent("ckpt")
    let output = root.appendingPathComponent("out")
    let arguments = [
      "--query", query.rawValue, "--events", "\(Self.events)", "--rate", "20000",
      "--first-event-rate", "1000", "--parallelism", "2", "--checkpoint-interval", "50ms",
      "--checkpoint-dir", checkpoints.path, "--output", output.path, "--state-backend", backend,
      "--state-dir", root.appendingPathComponent("state").path,
    ]
    var delays = SplitMix(seed: backend == "heap" ? 28 : 29)
    var resumed = 0
    for _ in 0..<3 {
      let log = try await KillNine.runAndKill(
        binary, arguments,
        after: {
          (try? CheckpointStorage(directory: checkpoints))?.completedCheckpoints().last ?? 0
        },
        delayMillis: Int(delays.next() % 400)
      ).output
      if log.contains("resuming from checkpoint") { resumed += 1 }
    }
    let final = try KillNine.run(binary, arguments, mergingStandardError: true)
    #expect(final.status == 0, "\(final.output)")
    #expect(resumed >= 2, "restarts resumed from checkpoints")

    var configuration = NexmarkConfiguration()
    configuration.firstEventRate = 1_000
    let generator = NexmarkGenerator(configuration: configuration)
    let events = (0..<Self.events).map { generator.event(Int64($0)) }
    let expected = PlainReference.rows(query, events).sorted()
    let committed = try Self.committedLines(output).sorted()
    #expect(!expected.isEmpty)
    #expect(committed.count == expected.count)
    #expect(committed == expected)
  }

  /// The lines of the committed `.jsonl` files of `directory`.
  static func committedLines(_ directory: URL) throws -> [String] {
    var lines: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
    where name.hasSuffix(".jsonl") {
      let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      lines += text.split(separator: "\n").map(String.init)
    }
    return lines
  }
}

/// SplitMix64, for reproducible kill delays.
struct SplitMix {
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
