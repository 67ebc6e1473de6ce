import Foundation
import TestServers
import Testing
import TributaryNATS

@testable import Tributary

/// Fencing of scaled-out `windowed-counts` instances against a real
/// nats-server (docs/scale-out.md, "Fencing"): a double start of one instance
/// id refuses naming the holder, and a frozen holder whose lease another
/// process took over stops with an error when it wakes, while the job's
/// output stays exact.
@Suite(.serialized) struct ScaleOutFencingTests {
  static func arguments(
    instances: Int, instance: Int, nats: NATSServer, checkpoints: URL, output: URL,
    bounded: Bool = true
  ) -> [String] {
    [
      "--instances", String(instances), "--instance", String(instance), "--exchange-url",
      nats.url, "--job-name", "fenced", "--source", "jetstream", "--nats-url", nats.url,
      "--nats-stream", "events", "--output", output.path, "--checkpoint-dir", checkpoints.path,
      "--checkpoint-interval", "100ms", "--lease-period", "2s",
    ] + (bounded ? ["--nats-bounded"] : [])
  }

  /// The servers of a test: nats-server with the input.
  static func testbed(_ name: String) throws -> WindowedCountsTestbed? {
    try WindowedCountsTestbed.start(
      name, publish: { try ScaleOutRunTests.publish(to: $0, stream: "events") })
  }

  /// A started process whose output lines are collected as they come.
  struct Started {
    let process: Process
    let lines: ProcessOutputLines
    let pipe: Pipe

    init(_ binary: String, _ arguments: [String]) throws {
      process = Process()
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = arguments
      lines = ProcessOutputLines()
      pipe = lines.collecting()
      process.standardOutput = pipe
      process.standardError = pipe
      try process.run()
    }

    var output: String { lines.lines.joined(separator: "\n") }

    /// Waits until a line contains `text` or the process exited (or 60 s passed).
    func waitFor(_ text: String) async throws -> Bool {
      let deadline = ContinuousClock.now + .seconds(60)
      while ContinuousClock.now < deadline {
        if lines.lines.contains(where: { $0.contains(text) }) { return true }
        if !process.isRunning { return lines.lines.contains(where: { $0.contains(text) }) }
        try await Task.sleep(for: .milliseconds(20))
      }
      return false
    }

    /// Waits for the exit (killing after `seconds`); its status, or `nil` if killed.
    func finish(within seconds: Int) async throws -> Int32? {
      let deadline = ContinuousClock.now + .seconds(seconds)
      while process.isRunning && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
      }
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        lines.stop(pipe)
        return nil
      }
      process.waitUntilExit()
      try await Task.sleep(for: .milliseconds(100))
      lines.stop(pipe)
      return process.terminationReason == .exit ? process.terminationStatus : nil
    }
  }

  /// Every committed `window_end,key,count,sum` line in `directory`.
  static func committedRows(_ directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasSuffix(".csv") }
      .flatMap { name in
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
          .split(separator: "\n").map(String.init)
      }
  }

  @Test func aSecondProcessOfOneInstanceRefusesNamingTheHolder() async throws {
    guard let bed = try Self.testbed("tributary-fencing-double") else { return }
    defer { bed.stop() }
    let (binary, nats, root) = (bed.binary, bed.nats, bed.root)
    let first = try Started(
      binary,
      Self.arguments(
        instances: 2, instance: 0, nats: nats, checkpoints: root.appendingPathComponent("a"),
        output: root.appendingPathComponent("out-a"), bounded: false))
    #expect(try await first.waitFor("instance lease acquired"), "\(first.output)")
    let second = try Started(
      binary,
      Self.arguments(
        instances: 2, instance: 0, nats: nats, checkpoints: root.appendingPathComponent("b"),
        output: root.appendingPathComponent("out-b"), bounded: false))
    let status = try await second.finish(within: 30)
    #expect(status != nil && status != 0, "the second process must refuse:\n\(second.output)")
    #expect(
      second.output.contains(
        "fenced.instance-0 is held by pid \(first.process.processIdentifier)"),
      "\(second.output)")
    #expect(first.process.isRunning, "the holder keeps running")
    kill(first.process.processIdentifier, SIGTERM)
    _ = try await first.finish(within: 20)
  }

  @Test func aFrozenHolderIsTakenOverAndStopsWhenItWakes() async throws {
    guard let bed = try Self.testbed("tributary-fencing-takeover") else { return }
    defer { bed.stop() }
    let (binary, nats, root) = (bed.binary, bed.nats, bed.root)
    let checkpoints = root.appendingPathComponent("checkpoints")
    let output = root.appendingPathComponent("output")
    func arguments(_ instance: Int) -> [String] {
      Self.arguments(
        instances: 3, instance: instance, nats: nats, checkpoints: checkpoints, output: output)
        + ["--log-level", "debug"]
    }
    // Instance 1 starts alone: its later stage cannot reach the end of input
    // before instances 0 and 2 publish theirs, so it is still running when it
    // is frozen after its first completed checkpoint (a short bounded run that
    // started with its peers could finish first).
    let frozen = try Started(binary, arguments(1))
    #expect(try await frozen.waitFor("checkpoint completed"), "\(frozen.output)")
    kill(frozen.process.processIdentifier, SIGSTOP)
    let others = try [0, 2].map { try Started(binary, arguments($0)) }
    // A process that cannot renew stops before another may take over: the
    // successor gets the lease one period after the last renewal, then waits
    // for the checkpoint directory the frozen one still holds.
    let successor = try Started(binary, arguments(1))
    #expect(try await successor.waitFor("instance lease acquired"), "\(successor.output)")
    kill(frozen.process.processIdentifier, SIGCONT)
    let frozenStatus = try await frozen.finish(within: 30)
    #expect(
      frozenStatus != nil && frozenStatus != 0, "the taken-over holder must stop:\n\(frozen.output)"
    )
    #expect(
      frozen.output.contains("the lease fenced.instance-1 was taken over")
        || frozen.output.contains("could not renew the lease fenced.instance-1"),
      "\(frozen.output)")
    for started in others + [successor] {
      let status = try await started.finish(within: 120)
      #expect(status == 0, "\(started.output)")
    }
    expectSameElements(try Self.committedRows(output), ScaleOutRunTests.expectedRows())
  }
}
