import Foundation
import Synchronization
import Testing

@testable import Tributary

/// Side outputs: `out.emit(value, to: tag)` in any process function, read
/// with `sideOutput(tag)` as streams of their own type; part of checkpoints.
@Suite struct SideOutputTests {
  static let strings = OutputTag<String>("strings")
  static let doubles = OutputTag<Double>("doubles")

  /// Sends i % 3 == 0 to the main output, 1 to `strings`, 2 to `doubles`.
  struct ThreeWaySplit: KeyedProcessFunction {
    func processElement(_ value: Int, context: KeyedContext<Int>, out: inout Collector<Int>) {
      switch value % 3 {
      case 0: out.emit(value)
      case 1: out.emit("s\(value)", to: SideOutputTests.strings)
      default: out.emit(Double(value) + 0.5, to: SideOutputTests.doubles)
      }
    }
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2, 4])
  func sideOutputsSplitAStreamIntoThreeTypedOutputsWhoseUnionIsTheInput(
    backend: StateBackendConfiguration.Kind, parallelism: Int
  ) async throws {
    let root = try temporaryDirectory("tributary-side")
    defer { try? FileManager.default.removeItem(at: root) }
    let count = 5_000
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    config.stateBackend = StateBackendConfiguration(
      kind: backend, directory: root.appendingPathComponent("state").path)
    let env = StreamEnvironment(configuration: config)
    let split = env.generate(count: count) { $0 }
      .keyBy { $0 % 7 }
      .process(name: "Split", ThreeWaySplit())
    let main = split.map { $0 }.collect()
    // Each side output is a stream like any other: its own parallelism,
    // partitioning and operators.
    let strings = split.sideOutput(Self.strings).rebalance()
      .map(name: "ParseString") { Int($0.dropFirst())! }.parallelism(1).collect()
    let doubles = split.sideOutput(Self.doubles).keyBy { Int($0) % 5 }
      .process(name: "Floor") { (value: Double, _, out: inout Collector<Int>) in
        out.emit(Int(value))
      }
      .collect()
    let plan = try env.explain()
    #expect(plan.contains("(side output 'strings')") && plan.contains("(side output 'doubles')"))
    try await env.execute()
    #expect(main.values.allSatisfy { $0 % 3 == 0 })
    #expect(strings.values.allSatisfy { $0 % 3 == 1 })
    #expect(doubles.values.allSatisfy { $0 % 3 == 2 })
    expectSameElements(main.values + strings.values + doubles.values, Array(0..<count))
  }

  @Test func processAndCoProcessAndWindowFunctionsEmitToSideOutputs() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let small = OutputTag<Int>("small")
    let numbers = env.generate(count: 100) { $0 }
    let processed = numbers.process { (value: Int, out: inout Collector<Int>) in
      if value < 10 { out.emit(value, to: small) } else { out.emit(value) }
    }
    let processedMain = processed.collect()
    let processedSmall = processed.sideOutput(small).collect()

    let words = OutputTag<String>("words")
    let co = numbers.connect(env.fromCollection(["x", "y"]))
      .process(
        { (n: Int, out: inout Collector<Int>) in out.emit(n) },
        { w, out in
          out.emit(w, to: words)
        })
    let coWords = co.sideOutput(words).collect()
    _ = co.discard()

    let big = OutputTag<Int64>("big windows")
    let windows =
      numbers
      .assignTimestampsAndWatermarks(.monotonic { Int64($0) })
      .keyBy { $0 % 2 }
      .window(.tumbling(.milliseconds(10)))
      .process { (_: Int, window: TimeWindow, values: [Int], out: inout Collector<Int>) in
        out.emit(values.count)
        out.emit(window.end, to: big)
      }
    _ = windows.discard()
    let ends = windows.sideOutput(big).collect()
    try await env.execute()
    expectSameElements(processedSmall.values, Array(0..<10))
    expectSameElements(processedMain.values, Array(10..<100))
    expectSameElements(coWords.values, ["x", "y"])
    // Ten windows of 10 ms per key, one side record each.
    let expectedEnds: [Int64] = (1...10).flatMap { end in [Int64(end * 10), Int64(end * 10)] }
    expectSameElements(ends.values, expectedEnds)
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb])
  func sideOutputsArePartOfCheckpointsAcrossRestarts(backend: StateBackendConfiguration.Kind)
    async throws
  {
    let root = try temporaryDirectory("tributary-side-recovery")
    defer { try? FileManager.default.removeItem(at: root) }
    let count = 60_000
    let injector = CheckpointRecoveryTests.FailureInjector([12_345, 31_000, 47_777])
    let log = LogLines()
    var config = JobConfiguration()
    config.parallelism = 2
    config.batchSize = 128
    config.stateBackend = StateBackendConfiguration(
      kind: backend, directory: root.appendingPathComponent("state").path, cacheBytes: 4_096)
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    config.logger = log.logger
    config.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
    let env = StreamEnvironment(configuration: config)
    let odd = OutputTag<String>("odd")
    let counted = env.generate(count: count, ratePerSecond: 150_000) { $0 }
      .map { value in
        try injector.check(Int64(value))
        return value
      }
      .keyBy { $0 % 10 }
      .process(name: "Count") {
        (value: Int, context: KeyedContext<Int>, out: inout Collector<String>) in
        let seen = try context.state(ValueStateDescriptor<Int>("seen"))
        let next = (try seen.value() ?? 0) + 1
        try seen.update(next)
        if value % 2 == 1 {
          out.emit("\(value),\(next)", to: odd)
        } else {
          out.emit("\(value),\(next)")
        }
      }
    counted.writeTransactional(directory: root.appendingPathComponent("even").path) { $0 }
    counted.sideOutput(odd)
      .writeTransactional(directory: root.appendingPathComponent("odd").path) { $0 }
    _ = try await withTimeout(120) { try await env.execute() }
    #expect(injector.left == 0)
    // Restarts resumed from checkpoints, which complete only when the barrier
    // reached the side output's sink too.
    #expect(log.lines.filter { $0.hasPrefix("resuming from checkpoint") }.count == 3)
    // Independently: the n-th value of key k (in order) is k + 10·(n-1).
    let expected = (0..<count).map { "\($0),\($0 / 10 + 1)" }
    let even = try CheckpointRecoveryTests.committedLines(root.appendingPathComponent("even"))
    let odds = try CheckpointRecoveryTests.committedLines(root.appendingPathComponent("odd"))
    expectSameElements(even, expected.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    expectSameElements(odds, expected.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
  }
}
