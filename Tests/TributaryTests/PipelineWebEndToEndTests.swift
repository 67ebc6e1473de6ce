import Foundation
import TestServers
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A real pipeline executable with `--web-port 0 --log-format json`: the
/// port from its log, `/metrics` and `/api/v1/job` while it runs, `POST
/// /api/v1/stop` ending it with exit status 0 and a savepoint that a second
/// run resumes from, committing exactly the output of an undisturbed run.
@Suite(.serialized) struct PipelineWebEndToEndTests {
  func http(_ method: String, _ url: String) async throws -> (status: Int, body: Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = 60
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as! HTTPURLResponse).statusCode, data)
  }

  @Test func stopByPostExitsZeroWithARestorableSavepoint() async throws {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return
    }
    let root = try temporaryDirectory("tributary-web-e2e")
    defer { try? FileManager.default.removeItem(at: root) }
    let events = 3_000_000
    let undisturbed = root.appendingPathComponent("undisturbed")
    let reference = try runProcess(
      binary, ["--events", "\(events)", "--output", undisturbed.path, "--log-level", "warning"])
    #expect(reference.status == 0)

    let output = root.appendingPathComponent("out")
    let checkpoints = root.appendingPathComponent("ckpt")
    let common = [
      "--events", "\(events)", "--output", output.path, "--checkpoint-dir", checkpoints.path,
      "--checkpoint-interval", "200ms", "--parallelism", "2",
    ]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = common + ["--rate", "300000", "--web-port", "0", "--log-format", "json"]
    let lines = ProcessOutputLines()
    let pipe = lines.collecting()
    process.standardOutput = pipe
    try process.run()
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      lines.stop(pipe)
    }

    // The port, from the JSON log line that announces the server.
    func logged() -> [[String: Any]] { lines.jsonObjects }
    var port: Int?
    let deadline = ContinuousClock.now + .seconds(60)
    while port == nil, ContinuousClock.now < deadline, process.isRunning {
      port = logged().first { ($0["message"] as? String)?.hasPrefix("dashboard at") == true }
        .flatMap { ($0["port"] as? String).flatMap(Int.init) }
      if port == nil { try await Task.sleep(for: .milliseconds(50)) }
    }
    let base = "http://127.0.0.1:\(try #require(port))"

    // Metrics with the job's name, and a running job with checkpoints.
    var exposition = ""
    while ContinuousClock.now < deadline {
      exposition = String(decoding: try await http("GET", base + "/metrics").body, as: UTF8.self)
      if exposition.contains(#"tributary_last_completed_checkpoint_id{job="windowed-counts"} "#)
        && !exposition.contains(#"tributary_last_completed_checkpoint_id{job="windowed-counts"} 0"#)
      {
        break
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    let sourceOut = exposition.split(separator: "\n").filter {
      $0.hasPrefix("tributary_records_out_total{") && $0.contains(#"job="windowed-counts""#)
        && $0.contains(#"operator="Events""#)
    }
    #expect(sourceOut.count == 2, "one series per source subtask")
    #expect(sourceOut.allSatisfy { (Double($0.split(separator: " ").last ?? "") ?? 0) > 0 })
    let job = try #require(
      try JSONSerialization.jsonObject(with: try await http("GET", base + "/api/v1/job").body)
        as? [String: Any])
    #expect(job["name"] as? String == "windowed-counts")
    #expect(job["state"] as? String == "RUNNING")

    // Stop with a savepoint: the answer names it; the process exits 0.
    let stop = try await http("POST", base + "/api/v1/stop")
    #expect(stop.status == 200)
    let savepoint = try #require(
      (try JSONSerialization.jsonObject(with: stop.body) as? [String: Any])?["path"] as? String)
    while process.isRunning, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(!process.isRunning)
    #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    #expect(FileManager.default.fileExists(atPath: savepoint + "/_metadata"))
    // Every log line is one JSON object with the fixed fields.
    for line in lines.lines where line.hasPrefix("{") {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object?["time"] is String && object?["level"] is String)
      #expect(object?["logger"] as? String == "tributary" && object?["message"] is String)
    }
    #expect(logged().contains { $0["message"] as? String == "savepoint written" })

    // Resumed from the savepoint (as fast as it goes), the committed output is
    // exactly that of the undisturbed run.
    let resumed = try runProcess(binary, common + ["--restore-from", savepoint])
    #expect(resumed.status == 0)
    #expect(resumed.output.contains("restoring from savepoint"))
    expectSameElements(
      try CheckpointRecoveryTests.committedLines(output),
      try CheckpointRecoveryTests.committedLines(undisturbed))
  }
}
