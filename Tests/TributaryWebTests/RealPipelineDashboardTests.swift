import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The dashboard of a real pipeline process (`windowed-counts --web-port 0`),
/// loaded in headless Chromium: every vertex of the running job, its state
/// and a checkpoint count; the process then stops with a savepoint.
@Suite(.serialized) struct RealPipelineDashboardTests {
  /// The path of a built executable of this package next to the test bundle,
  /// or in `.build/debug`.
  static func builtExecutable(_ name: String) -> String? {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent(name).path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let debug = root.appendingPathComponent(".build/debug/\(name)").path
    return FileManager.default.isExecutableFile(atPath: debug) ? debug : nil
  }

  /// Standard output of a process, line by line, as it comes.
  final class Lines: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))
    var all: [String] { state.withLock { $0.lines } }
    func append(_ data: Data) {
      state.withLock { s in
        s.partial += String(decoding: data, as: UTF8.self)
        while let newline = s.partial.firstIndex(of: "\n") {
          s.lines.append(String(s.partial[..<newline]))
          s.partial = String(s.partial[s.partial.index(after: newline)...])
        }
      }
    }
  }

  @Test func theDashboardOfARunningPipelineShowsItsGraphAndCheckpoints() async throws {
    if let missing = Chromium.missing {
      Issue.record(Comment(rawValue: missing))
      return
    }
    let binary = try #require(
      Self.builtExecutable("windowed-counts"), "windowed-counts is built by `swift build`")
    let root = try scratchDirectory("tributary-real-dashboard")
    defer { try? FileManager.default.removeItem(at: root) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = [
      "--rate", "200000", "--output", root.appendingPathComponent("out").path,
      "--checkpoint-dir", root.appendingPathComponent("ckpt").path, "--checkpoint-interval",
      "200ms", "--parallelism", "2", "--web-port", "0", "--log-format", "json",
    ]
    let pipe = Pipe()
    let lines = Lines()
    pipe.fileHandleForReading.readabilityHandler = { lines.append($0.availableData) }
    process.standardOutput = pipe
    try process.run()
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      pipe.fileHandleForReading.readabilityHandler = nil
    }

    // The dashboard's address, from the log.
    var port: Int?
    #expect(
      await eventually(60) {
        port = lines.all.compactMap {
          try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { ($0["message"] as? String)?.contains("dashboard at") == true }
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
