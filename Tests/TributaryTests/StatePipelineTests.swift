import Foundation
import Testing

@testable import Tributary

/// Keyed state in real pipelines: a small W3 (per-key running sums in a ValueState).
@Suite struct StatePipelineTests {
  struct Event: Sendable {
    var key: Int
    var value: Int64
  }

  struct KeySum: Sendable, Comparable {
    var key: Int
    var sum: Int64
    static func < (a: KeySum, b: KeySum) -> Bool { (a.key, a.sum) < (b.key, b.sum) }
  }

  /// Reads, adds and writes back a per-key sum; emits every key's sum at the end.
  struct SumPerKey: KeyedProcessFunction {
    var sum: ValueState<Int64>?

    mutating func open(_ context: KeyedContext<Int>) throws {
      sum = try context.state(ValueStateDescriptor<Int64>("sum"))
    }

    mutating func processElement(
      _ event: Event, context: KeyedContext<Int>, out: inout Collector<KeySum>
    ) throws {
      let sum = self.sum!
      try sum.update((try sum.value() ?? 0) + event.value)
    }

    mutating func endOfInput(context: KeyedContext<Int>, out: inout Collector<KeySum>) throws {
      let sum = self.sum!
      try context.forEachKey(of: sum) { key in
        out.emit(KeySum(key: key, sum: try sum.value()!))
      }
    }
  }

  static let cases: [(StateConfig, Int)] = [
    (.heap, 1), (.heap, 2), (.rocksTinyCache, 1), (.rocksTinyCache, 2),
  ]

  @Test(arguments: cases)
  func smallW3PerKeySums(config: StateConfig, parallelism: Int) async throws {
    let directory = try temporaryDirectory("tributary-state-w3")
    defer { try? FileManager.default.removeItem(at: directory) }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.stateBackend = config.configuration(directory: directory.path)
    let count = 50_000
    let out = env.generate(count: count) { i in
      Event(key: (i * 7919) % 5_000, value: Int64(i % 100))
    }
    .keyBy { $0.key }
    .process(SumPerKey())
    .collect()
    _ = try await withTimeout(60) { try await env.execute() }

    var expected: [Int: Int64] = [:]
    for i in 0..<count { expected[(i * 7919) % 5_000, default: 0] += Int64(i % 100) }
    #expect(expected.count == 5_000)
    expectSameElements(out.values, expected.map { KeySum(key: $0.key, sum: $0.value) })
    // Working directories are removed when the subtasks close.
    let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(left.isEmpty)
  }
}
