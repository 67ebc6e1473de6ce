import Foundation
import TestServers
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The dashboard of a real pipeline process (`windowed-counts --web-port 0`),
/// loaded in headless Chromium: every vertex of the running job, its state
/// and a checkpoint count; the process then stops with a savepoint.
@Suite(.serialized) struct RealPipelineDashboardTests {
  @Test func theDashboardOfARunningPipelineShowsItsGraphAndCheckpoints() async throws {
    if let missing = Chromium.missing {
      Issue.record(Comment(rawValue: missing))
      return
    }
    let binary = try #require(
      BuiltExecutables.path("windowed-counts"), "windowed-counts is built by `swift build`")
    let root = try scratchDirectory("tributary-real-dashboard")
    defer { try? FileManager.default.removeItem(at: root) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = [
      "--rate", "200000", "--output", root.appendingPathComponent("out").path,
      "--checkpoint-dir", root.appendingPathComponent("ckpt").path, "--checkpoint-interval",
      "200ms", "--parallelism", "2", "--web-port", "0", "--log-format", "json",
    ]
    let lines = ProcessOutputLines()
    let pipe = lines.collecting()
    process.standardOutput = pipe
    try process.run()
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      lines.stop(pipe)
    }

    // The dashboard's address, from the log.
    var port: Int?
    #expect(
      await eventually(60) {
        port = lines.jsonObjects.first {
          ($0["message"] as? String)?.contains("dashboard at") == true
        }
        .flatMap { ($0["port"] as? String).flatMap(Int.init) }
        return port != nil
      })
    let portNumber = try #require(port)
    let job = try await request(port: portNumber, "/api/v1/job").json()
    let names = try #require(job["vertices"] as? [[String: Any]]).compactMap {
      $0["name"] as? String
    }
    #expect(names.count == 2, "the source chain and the window chain with its sink")
    #expect(
      try await eventually(60) {
        let checkpoints = try await request(port: portNumber, "/api/v1/checkpoints").json()
        return ((checkpoints["counts"] as? [String: Any])?["completed"] as? Int ?? 0) >= 1
      })

    let dom = try await Chromium.dumpDOM(
      "http://127.0.0.1:\(portNumber)/", profile: root.appendingPathComponent("profile"))
    for name in names {
      #expect(dom.contains(DashboardBrowserTests.escaped(name)), "the page shows vertex \(name)")
    }
    #expect(DashboardBrowserTests.text(in: dom, id: "job-state") == "RUNNING")
    #expect((DashboardBrowserTests.number(in: dom, id: "checkpoints-completed") ?? 0) >= 1)

    let stop = try await request("POST", port: portNumber, "/api/v1/stop")
    #expect(stop.status == 200)
    #expect(await eventually(60) { !process.isRunning })
    #expect(process.terminationStatus == 0)
  }
}
