import Foundation
import Testing

/// `tributary-bench sweep --quick` end to end, as a subprocess on tiny inputs.
@Suite struct CheckpointSweepTests {
  /// The built `tributary-bench`: next to the running test bundle (so a
  /// `--scratch-path` build finds its own), else in `.build/debug` or `.build/release`.
  /// Runs the built `tributary-bench` with `arguments` (ending in `--json`),
  /// expects it to exit 0 and returns the JSON object it printed.
  static func benchJSON(_ arguments: [String]) throws -> [String: Any] {
    let bench = try #require(benchExecutable, "build tributary-bench first (swift build)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: bench)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  static var benchExecutable: String? {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("tributary-bench").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    for config in ["debug", "release"] {
      let path = root.appendingPathComponent(".build/\(config)/tributary-bench").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  static let columns = [
    "round", "workload", "state", "parallelism", "interval", "interval_ms", "mode", "events",
    "seconds", "events_per_second", "relative_throughput", "checkpoints_completed",
    "checkpoints_failed", "checkpoint_ms_p50", "checkpoint_ms_max", "sync_pause_ms_max",
    "alignment_ms_max", "checkpoint_bytes_full", "checkpoint_bytes_incremental",
    "latency_ms_p50", "latency_ms_p99", "latency_ms_p999", "peak_rss_bytes", "recovery_measured",
    "failure_at_ms",
    "events_before_failure", "events_replayed", "restore_ms", "catch_up_ms",
  ]

  @Test func quickSweepWritesOneNumericRowPerPointAndAPlot() throws {
    let bench = try #require(Self.benchExecutable, "build tributary-bench first (swift build)")
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("tributary-sweep-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let csv = directory.appendingPathComponent("sweep.csv").path
    let plot = directory.appendingPathComponent("sweep.svg").path

    let process = Process()
    process.executableURL = URL(fileURLWithPath: bench)
    process.arguments = [
      "sweep", "--quick", "--events", "20000", "--warmup-ms", "50", "--backends", "heap,rocksdb",
      "--intervals", "off,100ms", "--at-least-once-intervals", "100ms", "--recovery-workloads",
      "w2",
      "--csv", csv, "--plot",
      plot,
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)

    let text = try String(contentsOfFile: csv, encoding: .utf8)
    let lines = text.split(separator: "\n").map(String.init)
    let comments = lines.filter { $0.hasPrefix("#") }
    #expect(comments.contains { $0.hasPrefix("# machine: ") && $0.contains("CPUs") })
    let table = lines.filter { !$0.hasPrefix("#") }
    #expect(table.first?.split(separator: ",").map(String.init) == Self.columns)
    let rows = table.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    // w2, w3 × heap, rocksdb × p1 × (off, 100ms, 100ms at-least-once) × 1 round.
    #expect(rows.count == 12)
    var points = Set<String>()
    for row in rows {
      #expect(row.count == Self.columns.count)
      points.insert(row[1...6].joined(separator: ","))
      for (name, value) in zip(Self.columns, row) where !Self.textColumns.contains(name) {
        let number = Double(value)
        #expect(number?.isFinite == true, "\(name) = '\(value)' is not a finite number")
      }
      #expect(Double(row[9]) ?? 0 > 0, "throughput is positive")
      // Recovery is measured for W2 only here (W3's restore is slow in debug builds).
      #expect(row[23] == (row[1] == "w2" ? "1" : "0"))
      if row[1] == "w2" { #expect(Double(row[28]) ?? 0 > 0, "recovery time is positive") }
    }
    #expect(points.count == rows.count, "one row per point")
    let svg = try String(contentsOfFile: plot, encoding: .utf8)
    #expect(svg.contains("<svg"))
  }

  static let textColumns: Set<String> = ["workload", "state", "interval", "mode"]
}
