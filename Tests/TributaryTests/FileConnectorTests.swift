import Foundation
import Testing

@testable import Tributary

/// Text and CSV sources, and the text file sink.
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
}
