import AnomalyDetectionCore
import Foundation
import Testing

/// The NAB-format reader, the labels and the scorer, on small hand-made files.
@Suite struct NABTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  @Test func readerKeepsGoodLinesAndDeadLettersTheRest() throws {
    let path = Self.fixtures.appendingPathComponent("machine_a.csv").path
    let input = try NABInput(paths: [path])
    #expect(input.keys == ["machine_a"])
    #expect(input.rows[0].count == 3)
    #expect(
      input.rows[0].map { input.timestampTexts[Int($0.line)] } == [
        "2014-01-01 00:00:00", "2014-01-01 00:05:00", "2014-01-01 00:25:00",
      ])
    #expect(input.deadLetters.map(\.line) == [4, 5, 6, 7])
    #expect(
      input.deadLetters.map(\.reason) == [
        "expected 2 fields (timestamp,value), found 1", "unparseable value 'abc'",
        "unparseable timestamp '2014-13-01 00:15:00'",
        "expected 2 fields (timestamp,value), found 3",
      ])
    #expect(input.deadLetters.allSatisfy { $0.file == path })
    // Relative event time from the file's first line; the key ends with a marker.
    #expect(input.readings.map(\.timestampMs) == [0, 300_000, 1_500_000, 1_500_000])
    #expect(input.readings.last?.flag == .endOfKey)
    #expect(input.medianIntervalMs == 300_000)
  }

  @Test func readerHandlesCRLFAndMergesFilesByRelativeTime() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-nab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try "timestamp,value\r\n2015-03-01 10:00:00,1\r\n2015-03-01 10:10:00,2\r\n".write(
      to: dir.appendingPathComponent("late.csv"), atomically: true, encoding: .utf8)
    try "timestamp,value\n2013-01-01 00:00:00,5\n2013-01-01 00:05:00,6\n".write(
      to: dir.appendingPathComponent("early.csv"), atomically: true, encoding: .utf8)
    let input = try NABInput(paths: [
      dir.appendingPathComponent("late.csv").path, dir.appendingPathComponent("early.csv").path,
    ])
    #expect(input.deadLetters.isEmpty)
    #expect(input.keys == ["late", "early"])
    let values = input.readings.filter { $0.flag == .value }
    #expect(values.map(\.timestampMs) == [0, 0, 300_000, 600_000])
    #expect(values.map(\.sensor) == [0, 1, 1, 0])
  }

  @Test func readerDeadLettersLinesThatAreNotUTF8AndReadsTheRest() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-nab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    // 20 readings a minute apart after the header; line 8 has a Latin-1 byte
    // (0xB0, a degree sign) in its value, line 15 a cut-short euro sign
    // (E2 82) in its timestamp.
    var lines = ["timestamp,value"].map { Array($0.utf8) }
    for minute in 0..<20 {
      lines.append(Array(String(format: "2016-05-01 00:%02d:00,%d", minute, minute).utf8))
    }
    lines[7] = Array("2016-05-01 00:06:00,6".utf8) + [0xB0]
    lines[14] = Array("2016-05-01 00:".utf8) + [0xE2, 0x82] + Array(":00,13".utf8)
    let bad = dir.appendingPathComponent("bad.csv")
    try Data(lines.flatMap { $0 + [0x0A] }).write(to: bad)
    let good = dir.appendingPathComponent("good.csv")
    try "timestamp,value\n2016-05-01 00:00:00,1\n2016-05-01 00:01:00,2\n".write(
      to: good, atomically: true, encoding: .utf8)
    let input = try NABInput(paths: [bad.path, good.path])
    // "2016-05-01 00:06:00,6" is 21 bytes, so 0xB0 is at column 22.
    #expect(
      input.deadLetters == [
        DeadLetter(
          file: bad.path, line: 8, reason: "line is not valid UTF-8 (byte 0xB0 at column 22)"),
        DeadLetter(
          file: bad.path, line: 15, reason: "line is not valid UTF-8 (byte 0xE2 at column 15)"),
      ])
    let expectedMinutes = (0..<20).filter { $0 != 6 && $0 != 13 }
    #expect(
      input.rows[0].map { input.timestampTexts[Int($0.line)] }
        == expectedMinutes.map { String(format: "2016-05-01 00:%02d:00", $0) })
    let values = input.readings.filter { $0.flag == .value }
    #expect(values.filter { $0.sensor == 0 }.map(\.value) == expectedMinutes.map(Double.init))
    // The next file is read too.
    #expect(values.filter { $0.sensor == 1 }.map(\.value) == [1, 2])
  }

  /// The reason `NABInput` gives for `path`, or `nil` if it loads.
  static func unreadableReason(_ path: String) -> (path: String, reason: String)? {
    do {
      _ = try NABInput(paths: [path])
      return nil
    } catch {
      guard case .unreadable(let path, let reason) = error else { return nil }
      return (path, reason)
    }
  }

  @Test func unreadableInputSaysWhyWithThePath() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-nab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing.csv").path
    let noFile = Self.unreadableReason(missing)
    #expect(noFile?.path == missing && noFile?.reason == "the file does not exist")
    let directory = Self.unreadableReason(dir.path)
    #expect(directory?.path == dir.path && directory?.reason == "it is a directory, not a file")
    #expect(
      "\(InputError.unreadable(path: missing, reason: "the file does not exist"))"
        == "cannot read input file \(missing): the file does not exist; check the path")
  }

  @Test(.enabled(if: geteuid() != 0, "root may read any file, so chmod 000 denies nothing"))
  func inputWithoutReadPermissionSaysPermissionDenied() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-nab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("secret.csv")
    try "timestamp,value\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(chmod(file.path, 0) == 0)
    #expect(Self.unreadableReason(file.path)?.reason == "permission denied")
  }

  @Test func labelsParseNABWindows() throws {
    let labels = try NABLabels(
      path: Self.fixtures.appendingPathComponent("combined_windows.json").path)
    #expect(labels.windows["machine_a"]?.count == 1)
    #expect(labels.windows["other"]?.isEmpty == true)
    let window = try #require(labels.windows["machine_a"]?.first)
    #expect(window.startMs == Timestamps.parse("2014-01-01 00:05:00"))
    #expect(window.endMs == Timestamps.parse("2014-01-01 00:10:00"))
    #expect(throws: LabelsError.self) { try NABLabels(json: "[1, 2]") }
  }

  @Test func timestampsParseAndFormat() {
    #expect(Timestamps.parse("1970-01-01 00:00:01") == 1_000)
    #expect(
      Timestamps.parse("2014-04-15 07:24:00.000000") == Timestamps.parse("2014-04-15T07:24:00Z"))
    #expect(Timestamps.parse("2014-02-30 00:00:00") == nil)
    #expect(Timestamps.parse("yesterday") == nil)
    #expect(Timestamps.iso8601(millis: 1_767_225_600_123) == "2026-01-01T00:00:00.123Z")
  }

  /// 100 rows one second apart with one window over rows 80...89.
  static let rows = (0..<100).map { Int64($0) * 1_000 }
  static let window = [(startMs: Int64(80_000), endMs: Int64(89_000))]

  @Test func scorerGivesNABsKnownAnswers() {
    let sigmoid = NABScorer.scaledSigmoid
    #expect(abs(sigmoid(-1) - 0.986_614) < 1e-6)
    #expect(sigmoid(0) == 0)
    #expect(sigmoid(3) == -1)
    // An alert on the window's first row is worth exactly A_TP = 1.
    let first = NABScorer.score(key: "f", rows: Self.rows, alertRows: [80], windows: Self.window)
    #expect(first.probation == 15)
    #expect(abs(first.raw - 1) < 1e-9)
    #expect(first.windows.count == 1 && first.windows[0].hit && first.windows[0].leadMs == 9_000)
    #expect(abs(NABScorer.normalised([first]) - 100) < 1e-9)
    // No alerts: the null detector, normalised 0.
    let none = NABScorer.score(key: "f", rows: Self.rows, alertRows: [], windows: Self.window)
    #expect(none.raw == -1 && NABScorer.normalised([none]) == 0)
    // Late in the window, plus a false positive before it, one just after it and one in probation.
    let mixed = NABScorer.score(
      key: "f", rows: Self.rows, alertRows: [10, 50, 89, 95], windows: Self.window)
    let late = sigmoid(-0.1) / sigmoid(-1)
    let after = 0.11 * sigmoid(6.0 / 9.0)
    #expect(mixed.falsePositives == 2)
    #expect(abs(mixed.raw - (late - 0.11 + after)) < 1e-9)
    #expect(abs(NABScorer.normalised([mixed]) - 100 * (mixed.raw + 1) / 2) < 1e-9)
    // Only the best alert of a window counts; more alerts inside cost nothing.
    let many = NABScorer.score(
      key: "f", rows: Self.rows, alertRows: [80, 81, 85], windows: Self.window)
    #expect(abs(many.raw - 1) < 1e-9)
  }
}
