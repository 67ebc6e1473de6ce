import Foundation
import Logging
import Synchronization
import Testing

@testable import TributaryCLI

/// `--log-level` and `--log-format`: what a pipeline's logger writes.
@Suite struct LogFormatTests {
  final class Lines: Sendable {
    private let storage = Mutex<[String]>([])
    var all: [String] { storage.withLock { $0 } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
  }

  @Test func textLinesCarryMetadataAsSortedPairsAndHideTheJob() throws {
    let lines = Lines()
    let options = try PipelineOptions.parse(["--log-level", "info"])
    var logger = options.makeLogger(output: lines.append)
    logger[metadataKey: "job"] = "word-count"
    logger.debug("not shown")
    logger.info("resuming from checkpoint", metadata: ["directory": "/tmp/a b", "checkpoint": "7"])
    #expect(lines.all.count == 1)
    let line = try #require(lines.all.first)
    #expect(
      line.hasSuffix(#" info resuming from checkpoint checkpoint=7 directory="/tmp/a b""#),
      "\(line)")
    #expect(!line.contains("word-count"))
  }

  @Test func jsonLinesAreOneObjectWithTheMetadataAsFields() throws {
    let lines = Lines()
    let options = try PipelineOptions.parse(["--log-format", "json", "--log-level", "debug"])
    var logger = options.makeLogger(output: lines.append)
    logger[metadataKey: "job"] = "word-count"
    logger.trace("not shown")
    logger.debug(
      "checkpoint failed",
      metadata: [
        "checkpoint": "3", "reason": "disk \"full\"\n", "message": "collides",
        "subtasks": .array(["0", "1"]),
      ])
    #expect(lines.all.count == 1)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
    #expect(object["level"] as? String == "debug")
    #expect(object["logger"] as? String == "tributary")
    #expect(object["message"] as? String == "checkpoint failed")
    #expect(object["job"] as? String == "word-count")
    #expect(object["checkpoint"] as? String == "3")
    #expect(object["reason"] as? String == "disk \"full\"\n")
    #expect(object["meta_message"] as? String == "collides")
    #expect(object["subtasks"] as? [String] == ["0", "1"])
    let time = try #require(object["time"] as? String)
    #expect(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(time) <= Date())
  }
}
