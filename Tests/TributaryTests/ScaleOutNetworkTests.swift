import Foundation
import TestServers
import Testing
import TributaryNATS
import TributaryPostgres

@testable import Tributary

/// Scaled-out `windowed-counts` with each instance in its own network
/// namespace, joined by veth pairs to a bridge where nats-server and
/// PostgreSQL listen, so records really cross network interfaces
/// (docs/scale-out.md). One instance's link is cut for several seconds and
/// restored; an instance that stops (its lease could not be renewed) is
/// started again, as a supervisor would; and a cut-off instance is taken
/// over by a second process with its id. The table still ends exact.
@Suite(.serialized) struct ScaleOutNetworkTests {
  /// A bridge and one namespace per instance, removed by ``remove()``.
  final class Network {
    let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
    let subnet = Int.random(in: 100..<250)
    let instances: Int
    var bridge: String { "trb\(tag)" }
    var gateway: String { "10.213.\(subnet).1" }

    init(instances: Int) throws {
      self.instances = instances
      do {
        try Self.ip(["link", "add", bridge, "type", "bridge"])
        try Self.ip(["addr", "add", "\(gateway)/24", "dev", bridge])
        try Self.ip(["link", "set", bridge, "up"])
        for i in 0..<instances {
          let namespace = namespace(i)
          try Self.ip(["netns", "add", namespace])
          try Self.ip(["link", "add", hostLink(i), "type", "veth", "peer", "name", "trn\(tag)\(i)"])
          try Self.ip(["link", "set", "trn\(tag)\(i)", "netns", namespace])
          try Self.ip(["link", "set", hostLink(i), "master", bridge])
          try Self.ip(["link", "set", hostLink(i), "up"])
          try Self.ip(
            [
              "netns", "exec", namespace, "ip", "addr", "add", "10.213.\(subnet).\(10 + i)/24",
              "dev", "trn\(tag)\(i)",
            ])
          try Self.ip(["netns", "exec", namespace, "ip", "link", "set", "trn\(tag)\(i)", "up"])
          try Self.ip(["netns", "exec", namespace, "ip", "link", "set", "lo", "up"])
        }
      } catch {
        remove()
        throw error
      }
    }

    func namespace(_ i: Int) -> String { "trb\(tag)-\(i)" }
    func hostLink(_ i: Int) -> String { "trh\(tag)\(i)" }

    /// Takes instance `i`'s link down or up (the bridge side of its veth pair).
    func setLink(_ i: Int, up: Bool) throws {
      try Self.ip(["link", "set", hostLink(i), up ? "up" : "down"])
    }

    /// Deletes the namespaces (and with them the veth pairs) and the bridge.
    func remove() {
      for i in 0..<instances {
        try? Self.ip(["link", "del", hostLink(i)])
        try? Self.ip(["netns", "del", namespace(i)])
      }
      try? Self.ip(["link", "del", bridge])
    }

    struct CommandFailed: Error, CustomStringConvertible {
      let description: String
    }

    static func ip(_ arguments: [String]) throws {
      let result = try runProcess("/usr/sbin/ip", arguments, mergingStandardError: true)
      guard result.status == 0 else {
        throw CommandFailed(
          description: "ip \(arguments.joined(separator: " ")) failed: \(result.output)")
      }
    }
  }

  @Test func instancesInNamespacesSurviveACutLink() async throws {
    try await Self.withInstances(network: 3) { network, postgres, start in
      var running = try await Self.startWithInstance1CutOff(network, start)
      try await Task.sleep(for: .seconds(4))
      try network.setLink(1, up: true)
      // A supervisor: an instance that stopped (it could not renew its lease
      // while cut off) is started again with the same arguments.
      var restarts = 0
      var outputs = ["", "", ""]
      let deadline = ContinuousClock.now + .seconds(180)
      while ContinuousClock.now < deadline {
        var allDone = true
        for i in 0..<3 {
          if running[i].process.isRunning {
            allDone = false
            continue
          }
          let status = running[i].process.terminationStatus
          if status != 0 && restarts < 5 {
            outputs[i] += running[i].output + "\n--- restarted\n"
            running[i] = try start(i, i)
            restarts += 1
            allDone = false
          }
        }
        if allDone { break }
        try await Task.sleep(for: .milliseconds(100))
      }
      let cutOff = (outputs[1] + running[1].output).split(separator: "\n").filter {
        $0.contains("lease") || $0.contains("restart") || $0.contains("error")
      }
      print("instances restarted by the supervisor: \(restarts); the cut instance logged:")
      for line in cutOff.prefix(12) { print("  \(line)") }
      for i in 0..<3 {
        let status = try await running[i].finish(within: 1)
        #expect(status == 0, "instance \(i):\n\(outputs[i])\(running[i].output)")
      }
      try ScaleOutRunTests.expectExactTable(postgres)
    }
  }

  /// A zombie after a partition: instance 1's link is cut, and a second
  /// process with its id, started in another namespace, takes its lease over
  /// once it went unrenewed for a period; the cut-off process must stop by
  /// itself (exit non-zero) before the successor may run, and the table
  /// still ends exact once the link is back.
  @Test func aPartitionedInstanceIsTakenOverByASecondProcess() async throws {
    try await Self.withInstances(network: 4) { network, postgres, start in
      let running = try await Self.startWithInstance1CutOff(network, start)
      // Namespace 3 is a spare machine with instance 1's arguments.
      var successor = try start(1, 3)
      #expect(
        try await successor.waitFor("instance lease acquired"), "\(successor.output)")
      let cutStatus = try await running[1].finish(within: 30)
      #expect(
        cutStatus != nil && cutStatus != 0,
        "the cut-off holder must stop by itself:\n\(running[1].output)")
      #expect(
        running[1].output.contains("could not renew the lease netns.instance-1")
          || running[1].output.contains("the lease netns.instance-1 was taken over"),
        "\(running[1].output)")
      try network.setLink(1, up: true)
      // Had the cut-off process stopped later than its lease deadline, the
      // successor would find the checkpoint directory still locked and refuse
      // (two processes never run one instance); a supervisor would start it
      // again, but it must not come to that.
      var restarts = 0
      let deadline = ContinuousClock.now + .seconds(180)
      while ContinuousClock.now < deadline {
        if !successor.process.isRunning {
          if successor.process.terminationStatus == 0 || restarts == 5 { break }
          print("the successor refused; started again:\n\(successor.output.suffix(400))")
          successor = try start(1, 3)
          restarts += 1
        }
        try await Task.sleep(for: .milliseconds(100))
      }
      #expect(restarts == 0, "the cut-off process stopped too late for its successor")
      for started in [running[0], running[2], successor] {
        let status = try await started.finish(within: 180)
        #expect(status == 0, "\(started.output)")
      }
      try ScaleOutRunTests.expectExactTable(postgres)
    }
  }

  /// Starts instance 1 alone, cuts its link after its first checkpoint, then
  /// starts instances 0 and 2 (each in its own namespace): instance 1 cannot
  /// have reached the end of input, which needs its peers. The three, by index.
  static func startWithInstance1CutOff(
    _ network: Network, _ start: (Int, Int) throws -> ScaleOutFencingTests.Started
  ) async throws -> [ScaleOutFencingTests.Started] {
    let first = try start(1, 1)
    #expect(try await first.waitFor("checkpoint completed"), "\(first.output)")
    try network.setLink(1, up: false)
    return try [start(0, 0), first, start(2, 2)]
  }

  /// Runs `body` with `network` namespaces, nats-server and PostgreSQL on
  /// their bridge, the input published, and `start(instance, namespace)`
  /// starting `windowed-counts` instance `instance` (of 3) in a namespace.
  static func withInstances(
    network count: Int,
    _ body: (
      Network, PostgresServer,
      (Int, Int) throws -> ScaleOutFencingTests.Started
    ) async throws -> Void
  ) async throws {
    let network = try Network(instances: count)
    defer { network.remove() }
    guard
      let bed = try WindowedCountsTestbed.start(
        "tributary-scale-out-netns", nats: { try NATSServer.start(listenAddress: "0.0.0.0") },
        postgres: {
          try PostgresServer.start(
            network: (address: network.gateway, clients: "10.213.\(network.subnet).0/24"))
        }, publish: { try ScaleOutRunTests.publish(to: $0, stream: "events") }),
      let postgres = bed.postgres
    else { return }
    defer { bed.stop() }
    let (binary, nats, checkpoints) = (bed.binary, bed.nats, bed.checkpoints)
    let natsURL = "nats://\(network.gateway):\(nats.port)"
    let postgresURL = "postgresql://postgres@\(network.gateway):\(postgres.port)/tributary"
    func start(_ instance: Int, in namespace: Int) throws -> ScaleOutFencingTests.Started {
      try ScaleOutFencingTests.Started(
        "/usr/sbin/ip",
        ["netns", "exec", network.namespace(namespace), binary]
          + [
            "--instances", "3", "--instance", String(instance), "--exchange-url", natsURL,
            "--job-name", "netns", "--source", "jetstream", "--nats-url", natsURL,
            "--nats-stream", "events", "--nats-bounded", "--sink", "postgres",
            "--postgres-url", postgresURL, "--postgres-table", "results",
            "--checkpoint-dir", checkpoints.path, "--checkpoint-interval", "100ms",
            "--lease-period", "2s", "--restart-attempts", "5", "--log-level", "debug",
          ])
    }
    try await body(network, postgres) { try start($0, in: $1) }
  }
}
