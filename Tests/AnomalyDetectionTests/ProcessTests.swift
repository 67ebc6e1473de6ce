import AnomalyDetectionCore
import Foundation
import Testing

/// The built `anomaly-detection` executable: first next to the running test
/// bundle (a `--scratch-path` build finds its own products), then in
/// `.build/debug` and `.build/release`.
func anomalyExecutable() -> String? {
  let name = "anomaly-detection"
  let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent(name).path
  if FileManager.default.isExecutableFile(atPath: beside) { return beside }
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  for config in ["debug", "release"] {
    let path = root.appendingPathComponent(".build/\(config)/\(name)").path
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return nil
}

/// Runs `path` to completion; returns its exit status and standard output.
func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
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

/// The committed alert lines in `directory` (`*.jsonl`, never in-progress files).
func committedAlertLines(_ directory: URL) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: directory.path)
    .filter { $0.hasSuffix(".jsonl") }
    .flatMap { name in
      try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        .split(separator: "\n").map(String.init)
    }
    .sorted()
}

/// The executable as a subprocess: `kill -9` and resume, and `--input` files.
@Suite(.serialized) struct ProcessTests {
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-process-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The ids of the complete checkpoints (`chk-N` with a `_metadata`) in `directory`.
  static func checkpointIDs(_ directory: String) -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return Set(
      names.filter {
        $0.hasPrefix("chk-")
          && FileManager.default.fileExists(atPath: directory + "/" + $0 + "/_metadata")
      })
  }

  @Test func killNineAndResumeCommitTheAlertsOfAnUndisturbedRun() async throws {
    guard let binary = anomalyExecutable() else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let common = [
      "--sensors", "60", "--days", "0.5", "--interval-seconds", "30", "--parallelism", "2",
      "--checkpoint-interval", "50ms", "--quiet", "--print-alerts", "0",
    ]
    func arguments(_ name: String) -> [String] {
      common + [
        "--output", root.appendingPathComponent(name).path, "--checkpoint-dir",
        root.appendingPathComponent(name + "-ckpt").path,
      ]
    }
    let reference = try run(binary, arguments("ref"))
    #expect(reference.status == 0)
    let expected = try committedAlertLines(root.appendingPathComponent("ref"))
    #expect(expected.count >= 5, "the reference run raised alerts")
    #expect(expected.contains { $0.contains("\"kind\":\"silent\"") }, "a silence is among them")
    // Killed at random moments, then run to the end with the same arguments.
    let disturbed = arguments("out") + ["--rate", "30000"]
    let (resumed, final) = try await Self.killThreeTimesThenFinish(
      binary, disturbed, checkpoints: root.appendingPathComponent("out-ckpt").path)
    #expect(final.status == 0)
    #expect(resumed >= 2 && final.output.contains("resuming from checkpoint"))
    let actual = try committedAlertLines(root.appendingPathComponent("out"))
    #expect(actual == expected, "\(actual.count) committed alerts, expected \(expected.count)")
  }

  /// Runs `binary` with `arguments` three times, each killed (`SIGKILL`) at a
  /// random moment shortly after it completed a new checkpoint in
  /// `checkpoints`, then once to the end; returns how many of the killed runs
  /// resumed from a checkpoint and the final run's result.
  static func killThreeTimesThenFinish(
    _ binary: String, _ arguments: [String], checkpoints: String
  ) async throws -> (resumed: Int, final: (status: Int32, output: String)) {
    var seed: UInt64 = 2026
    var resumed = 0
    for _ in 0..<3 {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let process = Process()
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = arguments
      let pipe = Pipe()
      process.standardOutput = pipe
      try process.run()
      // Wait until this run has completed a new checkpoint (however slow the
      // machine), then kill it at a random moment shortly after.
      let before = checkpointIDs(checkpoints)
      let deadline = ContinuousClock.now + .seconds(30)
      while process.isRunning && ContinuousClock.now < deadline
        && checkpointIDs(checkpoints).subtracting(before).isEmpty
      {
        try await Task.sleep(for: .milliseconds(20))
      }
      try await Task.sleep(for: .milliseconds(Int(seed >> 33) % 400))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      if output.contains("resuming from checkpoint") { resumed += 1 }
    }
    return (resumed, try run(binary, arguments))
  }

  @Test func killNineAndResumeWithInputFilesCommitTheAlertsOfAnUndisturbedRun() async throws {
    guard let binary = anomalyExecutable() else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    // Three files of 5,000 readings: a noisy cycle, each with a different anomaly
    // late in the file (a spike, a level shift, a change of pattern).
    var files: [String] = []
    for f in 0..<3 {
      var lines = ["timestamp,value"]
      for i in 0..<5_000 {
        let minutes = i * 5
        let stamp = String(
          format: "2015-%02d-%02d %02d:%02d:00", 3 + minutes / 43_200, 1 + minutes / 1_440 % 30,
          minutes / 60 % 24, minutes % 60)
        var value = 20 + 3 * sin(Double(i) / 40) + Double((i * 7_919 + f * 31) % 17) / 17
        if f == 0 && i == 4_200 { value += 30 }
        if f == 1 && i >= 4_000 && i < 4_300 { value += 6 }
        if f == 2 && i >= 3_800 && i < 4_000 { value = 20 + Double(i % 2) * 4 }
        lines.append("\(stamp),\(value)")
      }
      let file = root.appendingPathComponent("machine_\(f).csv")
      try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
      files.append(file.path)
    }
    func arguments(_ name: String) -> [String] {
      ["--input"] + files + [
        "--parallelism", "2", "--checkpoint-interval", "50ms", "--quiet", "--print-alerts", "0",
        "--output", root.appendingPathComponent(name).path, "--checkpoint-dir",
        root.appendingPathComponent(name + "-ckpt").path,
      ]
    }
    let reference = try run(binary, arguments("ref"))
    #expect(reference.status == 0)
    let expected = try committedAlertLines(root.appendingPathComponent("ref"))
    #expect(expected.count >= 3, "the reference run raised alerts: \(expected)")
    let (resumed, final) = try await Self.killThreeTimesThenFinish(
      binary, arguments("out") + ["--rate", "5000"],
      checkpoints: root.appendingPathComponent("out-ckpt").path)
    #expect(final.status == 0)
    #expect(resumed >= 2 && final.output.contains("resuming from checkpoint"))
    let actual = try committedAlertLines(root.appendingPathComponent("out"))
    #expect(actual == expected, "\(actual.count) committed alerts, expected \(expected.count)")
  }

  @Test func inputFilesGiveAlertsWithTheirTimestampsAndDeadLetters() throws {
    guard let binary = anomalyExecutable() else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    // 4,000 readings 5 minutes apart with a spike at line 3502, and three bad
    // lines. The novelty detector of the --input path needs a long history.
    var lines = ["timestamp,value"]
    var stamps: [String] = []
    for i in 0..<4_000 {
      let minutes = i * 5
      let stamp = String(
        format: "2014-02-%02d %02d:%02d:00", 1 + minutes / 1_440, minutes / 60 % 24, minutes % 60)
      let value = 10 + sin(Double(i) / 30) + Double((i * 7_919) % 13) / 13
      lines.append("\(stamp),\(i == 3_500 ? value + 40 : value)")
      stamps.append(stamp)
      if i == 100 { lines.append("2014-02-31 00:00:00,1") }
      if i == 200 { lines.append("garbage") }
      if i == 300 { lines.append("2014-02-02 01:00:00,NaNish") }
    }
    let file = root.appendingPathComponent("pump_7.csv")
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let output = root.appendingPathComponent("out")
    let result = try run(binary, ["--input", file.path, "--output", output.path, "--quiet"])
    #expect(result.status == 0)
    #expect(result.output.contains("dead letters: 3"))
    let alerts = try committedAlertLines(output)
    // The raw score averages the last 8 readings, so the alert may come a few readings late.
    let reported = stamps[3_500...3_508].contains { stamp in
      alerts.contains {
        $0.contains("\"key\":\"pump_7\"") && $0.contains("\"timestamp\":\"\(stamp)\"")
          && $0.contains("\"kind\":\"novelty\"")
          && $0.contains("\"event_time_ms\":\(Timestamps.parse(stamp) ?? 0)")
      }
    }
    #expect(reported, "the spike is reported with the input's timestamp text: \(alerts)")
    #expect(alerts.count == 1, "and nothing else is: \(alerts)")
    let dead = try String(
      contentsOf: output.appendingPathComponent("dead-letters.tsv"), encoding: .utf8
    ).split(separator: "\n")
    #expect(dead.count == 4)
    #expect(dead[1] == "\(file.path)\t103\tunparseable timestamp '2014-02-31 00:00:00'")
    #expect(dead[2] == "\(file.path)\t204\texpected 2 fields (timestamp,value), found 1")
    #expect(dead[3] == "\(file.path)\t305\tunparseable value 'NaNish'")
  }

  @Test func inputLineThatIsNotUTF8IsADeadLetterAndTheRestIsRead() throws {
    guard let binary = anomalyExecutable() else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    // A header and 300 readings a minute apart; line 151 has a 0xFF byte.
    var lines = [Array("timestamp,value".utf8)]
    for i in 0..<300 {
      let stamp = String(format: "2015-06-01 %02d:%02d:00", i / 60, i % 60)
      lines.append(Array("\(stamp),\(20 + Double(i % 7) / 7)".utf8))
    }
    lines[150] = Array("2015-06-01 02:29:00,2".utf8) + [0xFF] + Array("0".utf8)
    let file = root.appendingPathComponent("valve_3.csv")
    try Data(lines.flatMap { $0 + [0x0A] }).write(to: file)
    let output = root.appendingPathComponent("out")
    let result = try run(binary, ["--input", file.path, "--output", output.path, "--quiet"])
    #expect(result.status == 0)
    #expect(result.output.contains("(299 readings, 1 dead letters)"), "\(result.output)")
    let dead = try String(
      contentsOf: output.appendingPathComponent("dead-letters.tsv"), encoding: .utf8
    ).split(separator: "\n")
    #expect(
      dead == [
        "file\tline\treason",
        "\(file.path)\t151\tline is not valid UTF-8 (byte 0xFF at column 22)",
      ])
  }

  @Test func missingInputFileFailsNamingThePathAndWhy() throws {
    guard let binary = anomalyExecutable() else {
      Issue.record("anomaly-detection is not built; run `swift build` first")
      return
    }
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let missing = root.appendingPathComponent("nowhere.csv").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["--input", missing, "--output", root.appendingPathComponent("out").path]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    let message = String(decoding: data, as: UTF8.self)
    #expect(
      message.contains("cannot read input file \(missing): the file does not exist"), "\(message)")
  }
}
