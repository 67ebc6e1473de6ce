import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Text and CSV sources (including lines that are not valid UTF-8 and files that
/// cannot be opened), and the text file sink.
@Suite struct FileConnectorTests {
  struct Reading: Sendable, Equatable {
    var sensor: String
    var value: Double
  }

  @Test func csvSourceParsesEveryLine() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("readings.csv")
    try "sensor,value\na,1.5\nb,2\n\na,3.25\n".write(to: file, atomically: true, encoding: .utf8)
    let env = StreamEnvironment(parallelism: 1)
    let out = env.readCSV(file.path, skipHeader: true) { fields in
      guard fields.count == 2, let value = Double(fields[1]) else {
        throw LineParseError("expected sensor,value")
      }
      return Reading(sensor: String(fields[0]), value: value)
    }.collect()
    try await env.execute()
    #expect(
      out.values == [
        Reading(sensor: "a", value: 1.5), Reading(sensor: "b", value: 2),
        Reading(sensor: "a", value: 3.25),
      ])
  }

  @Test func malformedCSVLineNamesFileAndLine() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("bad.csv")
    try "a,1\nb,2\nc,not-a-number\nd,4\n".write(to: file, atomically: true, encoding: .utf8)
    let env = StreamEnvironment(parallelism: 2)
    env.readCSV(file.path) { fields in
      guard fields.count == 2, let value = Double(fields[1]) else {
        throw LineParseError("value '\(fields.last ?? "")' is not a number")
      }
      return Reading(sensor: String(fields[0]), value: value)
    }.discard()
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    let underlying = error?.underlyingError as? FileSourceError
    #expect(
      underlying
        == .malformedLine(file: file.path, line: 3, reason: "value 'not-a-number' is not a number"))
    #expect("\(error!)".contains("bad.csv:3"))
  }

  @Test func textFilesRoundTripThroughTheFileSink() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.txt")
    let lines = (0..<1_000).map { "line \($0)" }
    try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
    let output = dir.appendingPathComponent("out").path
    let env = StreamEnvironment(parallelism: 2)
    env.readTextFile(input.path).map { $0.uppercased() }.writeText(output)
    try await env.execute()
    var written: [String] = []
    for part in try FileManager.default.contentsOfDirectory(atPath: output) {
      let text = try String(contentsOfFile: "\(output)/\(part)", encoding: .utf8)
      written += text.split(separator: "\n").map(String.init)
    }
    expectSameElements(written, lines.map { $0.uppercased() })
  }

  /// Writes `lines` (raw bytes each) to `file`, each followed by LF.
  static func write(_ lines: [[UInt8]], to file: URL) throws {
    try Data(lines.flatMap { $0 + [0x0A] }).write(to: file)
  }

  /// Collects what a dead-letter handler receives (from any subtask).
  final class BadLines: Sendable {
    private let storage = Mutex<[BadLine]>([])
    var values: [BadLine] { storage.withLock { $0 } }
    var handling: BadLineHandling {
      .deadLetter { line in self.storage.withLock { $0.append(line) } }
    }
  }

  @Test func invalidUTF8LineFailsTheJobByDefaultNamingFileAndLine() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("latin1.txt")
    // Line 3 is "café" in Latin-1: 0xE9 followed by "!" is not UTF-8.
    try Self.write(
      [
        Array("one".utf8), Array("two".utf8), Array("caf".utf8) + [0xE9, 0x21], Array("four".utf8),
      ],
      to: file)
    let env = StreamEnvironment(parallelism: 1)
    env.readTextFile(file.path).discard()
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    #expect(
      error?.underlyingError as? FileSourceError
        == .malformedLine(
          file: file.path, line: 3, reason: "line is not valid UTF-8 (byte 0xE9 at column 4)"))
    #expect("\(error!)".contains("latin1.txt:3"))
  }

  @Test func invalidUTF8LinesGoToTheDeadLetterHandlerAndTheRestIsRead() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Two files, each with one bad line in the middle: a lone 0xFF after
    // valid multi-byte text, and a euro sign (E2 82 AC) cut short before "5".
    let first = dir.appendingPathComponent("first.txt")
    let second = dir.appendingPathComponent("second.txt")
    var firstLines = (1...200).map { Array("first \($0) héllo".utf8) }
    firstLines[99] = Array("first 100 é".utf8) + [0xFF] + Array(" tail".utf8)
    var secondLines = (1...150).map { Array("second \($0) €".utf8) }
    secondLines[49] = Array("second 50 ".utf8) + [0xE2, 0x82] + Array("5".utf8)
    try Self.write(firstLines, to: first)
    try Self.write(secondLines, to: second)
    let bad = BadLines()
    let env = StreamEnvironment(parallelism: 2)
    let out = env.readTextFiles([first.path, second.path], onBadLine: bad.handling) { line, _ in
      line
    }.collect()
    _ = try await withTimeout(20) { try await env.execute() }
    let expected =
      (1...200).filter { $0 != 100 }.map { "first \($0) héllo" }
      + (1...150).filter { $0 != 50 }.map { "second \($0) €" }
    expectSameElements(out.values, expected)
    // "first 100 é" is 12 bytes (é is two), so 0xFF is at byte column 13;
    // "second 50 " is 10 bytes, so the cut-short sequence starts at column 11.
    #expect(
      bad.values.sorted { $0.file < $1.file } == [
        BadLine(
          file: first.path, line: 100, reason: "line is not valid UTF-8 (byte 0xFF at column 13)",
          bytes: firstLines[99]),
        BadLine(
          file: second.path, line: 50, reason: "line is not valid UTF-8 (byte 0xE2 at column 11)",
          bytes: secondLines[49]),
      ])
  }

  @Test func csvBadLinesAreDeadLetteredOrSkippedAndTheRestIsRead() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("mixed.csv")
    try Self.write(
      [
        Array("sensor,value".utf8), Array("a,1".utf8), Array("b,".utf8) + [0xC0, 0x80],
        Array("c,x".utf8), Array("d,4".utf8),
      ], to: file)
    let parse: @Sendable ([Substring]) throws -> Reading = { fields in
      guard fields.count == 2, let value = Double(fields[1]) else {
        throw LineParseError("value '\(fields.last ?? "")' is not a number")
      }
      return Reading(sensor: String(fields[0]), value: value)
    }
    let expected = [Reading(sensor: "a", value: 1), Reading(sensor: "d", value: 4)]

    let bad = BadLines()
    let env = StreamEnvironment(parallelism: 1)
    let out = env.readCSV(file.path, skipHeader: true, onBadLine: bad.handling, parse: parse)
      .collect()
    _ = try await withTimeout(20) { try await env.execute() }
    #expect(out.values == expected)
    // 0xC0 0x80 is an overlong encoding of NUL: ill-formed from its first byte.
    #expect(
      bad.values == [
        BadLine(
          file: file.path, line: 3, reason: "line is not valid UTF-8 (byte 0xC0 at column 3)",
          bytes: Array("b,".utf8) + [0xC0, 0x80]),
        BadLine(
          file: file.path, line: 4, reason: "value 'x' is not a number", bytes: Array("c,x".utf8)),
      ])

    let skipping = StreamEnvironment(parallelism: 1)
    let skipped = skipping.readCSV(file.path, skipHeader: true, onBadLine: .skip, parse: parse)
      .collect()
    _ = try await withTimeout(20) { try await skipping.execute() }
    #expect(skipped.values == expected)
  }

  @Test func readerReportsTheFirstIllFormedByteAndKeepsValidText() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("cases.txt")
    let lines: [[UInt8]] = [
      Array("ascii only".utf8),
      Array("ünïcödé € 𝄞".utf8),
      [0xED, 0xA0, 0x80],  // an encoded UTF-16 surrogate
      Array("x".utf8) + [0xF0, 0x9D, 0x84],  // a four-byte sequence cut short at the line's end
      [0x80] + Array("abc".utf8),  // a continuation byte with no lead byte
      [],
    ]
    try Data(lines.map { $0 + [0x0D, 0x0A] }.joined()).write(to: file)  // CRLF
    let reader = try TextLineReader(path: file.path)
    var read: [TextLine] = []
    while let line = try reader.next() { read.append(line) }
    #expect(reader.lineNumber == lines.count)
    #expect(
      read == [
        .text("ascii only"), .text("ünïcödé € 𝄞"),
        .invalid(bytes: lines[2], reason: "line is not valid UTF-8 (byte 0xED at column 1)"),
        .invalid(bytes: lines[3], reason: "line is not valid UTF-8 (byte 0xF0 at column 2)"),
        .invalid(bytes: lines[4], reason: "line is not valid UTF-8 (byte 0x80 at column 1)"),
        .text(""),
      ])
  }

  /// The reason `TextLineReader(path:)` gives for `path`, or `nil` if it opens.
  static func openFailure(_ path: String) -> FileSourceError? {
    do {
      _ = try TextLineReader(path: path)
      return nil
    } catch {
      return error
    }
  }

  @Test func filesThatCannotBeOpenedSayWhyWithThePath() async throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("missing.csv").path
    #expect(
      Self.openFailure(missing) == .cannotOpen(file: missing, reason: "the file does not exist"))
    #expect(
      Self.openFailure(dir.path)
        == .cannotOpen(file: dir.path, reason: "it is a directory, not a file"))
    let file = dir.appendingPathComponent("plain.txt")
    try "x\n".write(to: file, atomically: true, encoding: .utf8)
    let underFile = file.path + "/inner.txt"
    #expect(
      Self.openFailure(underFile)
        == .cannotOpen(file: underFile, reason: "a component of the path is not a directory"))
    #expect(TextLineReader.openFailureReason(EACCES) == "permission denied")

    // Through a job: the directory fails the job (not an empty file) even
    // with a dead-letter handler, and the error names the path and the reason.
    let env = StreamEnvironment(parallelism: 1)
    env.readTextFile(dir.path, onBadLine: .skip).discard()
    let error = await #expect(throws: JobError.self) {
      try await withTimeout(20) { try await env.execute() }
    }
    #expect(
      "\(error!)".contains("cannot open \(dir.path): it is a directory, not a file"), "\(error!)")
  }

  @Test(
    .enabled(if: geteuid() != 0, "root may read any file, so chmod 000 denies nothing"))
  func unreadableFileSaysPermissionDenied() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("secret.txt")
    try "x\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(chmod(file.path, 0) == 0)
    #expect(
      Self.openFailure(file.path) == .cannotOpen(file: file.path, reason: "permission denied"))
  }
}
