import Foundation
import Testing

@testable import Tributary

/// Several instances of one job in one process, exchanging records through an
/// in-memory log: the whole exchange path (cut, sink, commit markers, source,
/// the keyed operator behind it) without servers.
@Suite struct ScaleOutInProcessTests {
  static let events = 20_000
  static let keys = 37

  /// Runs `instances` instances of a keyed running sum concurrently and
  /// returns every instance's outputs (key, running sum).
  static func run(instances: Int, parallelism: Int, exchange: InMemoryExchange) async throws
    -> [[(Int, Int)]]
  {
    let base = try temporaryDirectory("tributary-scale-out-in-process")
    defer { try? FileManager.default.removeItem(at: base) }
    return try await withThrowingTaskGroup(of: (Int, [(Int, Int)]).self) { group in
      for index in 0..<instances {
        var config = JobConfiguration()
        config.parallelism = parallelism
        config.checkpointing = CheckpointingConfiguration(
          directory: base.appendingPathComponent("instance-\(index)").path,
          settings: CheckpointSettings(intervalMillis: 50))
        config.exchangeTransport = exchange
        let env = StreamEnvironment(
          configuration: config,
          instances: try InstanceSettings(
            count: instances, index: index, exchangeURL: "nats://127.0.0.1:1", jobName: "sum"))
        let output = env.generate(count: events) { Pair($0 % keys, $0) }
          .keyBy { $0.first }.reduce { Pair($0.first, $0.second + $1.second) }
          .map { $0.tuple }.collect()
        group.addTask {
          _ = try await env.execute()
          return (index, output.values)
        }
      }
      var outputs = Array(repeating: [(Int, Int)](), count: instances)
      for try await (index, values) in group { outputs[index] = values }
      return outputs
    }
  }

  /// Every key's final sum equals the sum computed directly, each key is
  /// summed by exactly one instance, and no record is counted twice (the
  /// number of running sums is the number of events).
  @Test(arguments: [(2, 1), (2, 2), (3, 2)])
  func keyedSumsAcrossInstancesAreExact(instances: Int, parallelism: Int) async throws {
    let outputs = try await Self.run(
      instances: instances, parallelism: parallelism, exchange: InMemoryExchange())
    var expected: [Int: Int] = [:]
    for event in 0..<Self.events { expected[event % Self.keys, default: 0] += event }
    var final: [Int: Int] = [:]
    var owner: [Int: Int] = [:]
    for (index, values) in outputs.enumerated() {
      for (key, sum) in values {
        #expect(owner[key, default: index] == index, "key \(key) summed by two instances")
        owner[key] = index
        final[key] = max(final[key] ?? 0, sum)
      }
    }
    #expect(final == expected)
    #expect(outputs.map(\.count).reduce(0, +) == Self.events)
  }

  /// Behind an exchange the keyed operator reads a forward edge from the
  /// exchange source (which reads exactly the key groups the operator's
  /// subtask owns), so it is chained to it and no record is hashed twice;
  /// it stays keyed, so its state follows its key groups on restore.
  @Test func theKeyedConsumerIsChainedToTheExchangeSource() throws {
    var config = JobConfiguration()
    config.parallelism = 2
    config.checkpointing = CheckpointingConfiguration(directory: "/nonexistent")
    config.exchangeTransport = InMemoryExchange()
    let env = StreamEnvironment(
      configuration: config,
      instances: try InstanceSettings(
        count: 2, index: 1, exchangeURL: "nats://127.0.0.1:1", jobName: "sum"))
    env.generate(count: 10) { Pair($0 % 3, $0) }
      .keyBy { $0.first }.reduce { Pair($0.first, $0.second + $1.second) }.discard()
    let cut = try env.cutAtExchanges(
      try PhysicalPlan(nodes: env.nodes, config: env.configuration), config: env.configuration)
    let names = cut.chains.map { $0.nodes.map(\.name) }
    #expect(names.contains(["Exchange sum-x0 in", "Reduce", "Discard"]), "\(names)")
    let reduce = cut.chains.flatMap(\.nodes).first { $0.name == "Reduce" }
    #expect(reduce?.isKeyed == true)
    #expect(cut.exchanges.isEmpty)
  }
}
