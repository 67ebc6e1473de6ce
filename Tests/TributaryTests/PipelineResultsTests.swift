import Testing

@testable import Tributary

/// Real pipelines at several parallelisms against plain Swift computations of the same thing.
@Suite struct PipelineResultsTests {
  static let parallelisms = [1, 2, 4]
  static let numbers = Array(0..<20_000)

  @Test(arguments: parallelisms)
  func mapFilterMatchesPlainSwift(parallelism: Int) async throws {
    let env = StreamEnvironment(parallelism: parallelism)
    let out = env.fromCollection(Self.numbers).map { $0 * 3 }.filter { $0 % 2 == 0 }.collect()
    try await env.execute()
    expectSameElements(out.values, Self.numbers.map { $0 * 3 }.filter { $0 % 2 == 0 })
  }

  @Test(arguments: parallelisms)
  func flatMapMatchesPlainSwift(parallelism: Int) async throws {
    let env = StreamEnvironment(parallelism: parallelism)
    let out = env.fromCollection(Array(0..<3_000)).flatMap { Array(repeating: $0, count: $0 % 4) }
      .collect()
    try await env.execute()
    expectSameElements(out.values, (0..<3_000).flatMap { Array(repeating: $0, count: $0 % 4) })
  }

  @Test(arguments: parallelisms)
  func unionOfThreeStreams(parallelism: Int) async throws {
    let env = StreamEnvironment(parallelism: parallelism)
    let a = env.fromCollection(Array(0..<1_000))
    let b = env.generate(count: 2_000) { 10_000 + $0 }
    let c = env.fromCollection(Array(50_000..<50_500)).parallelism(1)
    let out = a.union(b, c).map { $0 + 1 }.collect()
    try await env.execute()
    let expected = (Array(0..<1_000) + Array(10_000..<12_000) + Array(50_000..<50_500)).map {
      $0 + 1
    }
    expectSameElements(out.values, expected)
  }

  @Test(arguments: parallelisms, [StateBackendConfiguration.Kind.heap, .rocksdb])
  func keyedReduceGivesRunningSums(parallelism: Int, backend: StateBackendConfiguration.Kind)
    async throws
  {
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.stateBackend = StateBackendConfiguration(kind: backend, cacheBytes: 4_096)
    struct Item: Sendable, Codable, BinaryCodable {
      var key: Int
      var value: Int
    }
    let items = (0..<10_000).map { Item(key: ($0 * 7) % 37, value: $0 % 11) }
    let out = env.fromCollection(items).parallelism(1)
      .keyBy { $0.key }
      .reduce { Item(key: $0.key, value: $0.value + $1.value) }
      .collect()
    try await env.execute()
    // Plain Swift: the running sum per key after each of its records.
    var sums: [Int: Int] = [:]
    var expected: [Int: [Int]] = [:]
    for item in items {
      sums[item.key, default: 0] += item.value
      expected[item.key, default: []].append(sums[item.key]!)
    }
    var actual: [Int: [Int]] = [:]
    for item in out.values { actual[item.key, default: []].append(item.value) }
    #expect(actual == expected)
  }

  @Test(arguments: parallelisms)
  func keyedProcessEmitsManyPerInput(parallelism: Int) async throws {
    let env = StreamEnvironment(parallelism: parallelism)
    let out = env.generate(count: 5_000) { $0 }
      .keyBy { $0 % 10 }
      .process { (value: Int, context: KeyedContext<Int>, out: inout Collector<String>) in
        for copy in 0..<(value % 3) { out.emit("\(context.key):\(value):\(copy)") }
      }
      .collect()
    try await env.execute()
    let expected = (0..<5_000).flatMap { v in (0..<(v % 3)).map { "\(v % 10):\(v):\($0)" } }
    expectSameElements(out.values, expected)
  }

  @Test(arguments: parallelisms)
  func keyedProcessFunctionWithEndOfInput(parallelism: Int) async throws {
    /// Counts records per key in a dictionary and emits the totals at the end.
    struct CountAtEnd: KeyedProcessFunction {
      var counts: [String: Int] = [:]
      mutating func processElement(
        _ value: String, context: KeyedContext<String>, out: inout Collector<String>
      ) throws {
        counts[context.key, default: 0] += 1
      }
      mutating func endOfInput(context: KeyedContext<String>, out: inout Collector<String>) throws {
        for (key, count) in counts { out.emit("\(key)=\(count)") }
      }
    }
    let env = StreamEnvironment(parallelism: parallelism)
    let words = (0..<4_000).map { "w\($0 % 13)" }
    let out = env.fromCollection(words).keyBy { $0 }.process(CountAtEnd()).collect()
    try await env.execute()
    let expected = Dictionary(grouping: words, by: { $0 }).map { "\($0.key)=\($0.value.count)" }
    expectSameElements(out.values, expected)
  }

  @Test(arguments: parallelisms)
  func wordCountOnGeneratedText(parallelism: Int) async throws {
    let vocabulary = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
    @Sendable func line(_ n: Int) -> String {
      (0..<8).map { vocabulary[(n * 31 + $0 * 17 + n / 3) % vocabulary.count] }.joined(
        separator: " ")
    }
    let env = StreamEnvironment(parallelism: parallelism)
    struct WordCount: Sendable, Codable, BinaryCodable {
      var word: String
      var count: Int
    }
    let out = env.generate(count: 3_000) { line($0) }
      .flatMap { $0.split(separator: " ").map { WordCount(word: String($0), count: 1) } }
      .keyBy { $0.word }
      .reduce { WordCount(word: $0.word, count: $0.count + $1.count) }
      .collect()
    try await env.execute()
    var final: [String: Int] = [:]
    for update in out.values { final[update.word] = max(final[update.word] ?? 0, update.count) }
    var expected: [String: Int] = [:]
    for n in 0..<3_000 {
      for word in line(n).split(separator: " ") { expected[String(word), default: 0] += 1 }
    }
    #expect(final == expected)
  }

  @Test func broadcastDeliversEveryRecordToEverySubtask() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let out = env.fromCollection(Array(0..<500)).broadcast().map { $0 }.parallelism(3).collect()
    try await env.execute()
    expectSameElements(out.values, (0..<500).flatMap { [$0, $0, $0] })
  }

  @Test func rebalanceSpreadsOverSubtasks() async throws {
    let env = StreamEnvironment(parallelism: 1)
    env.configuration.batchSize = 100
    let out = env.generate(count: 10_000) { $0 }.rebalance()
      .process { (value: Int, out: inout Collector<Int>) in out.emit(value) }
      .parallelism(4).collect()
    try await env.execute()
    expectSameElements(out.values, Array(0..<10_000))
  }

  @Test func generatorResumesFromAPosition() async throws {
    for parallelism in [1, 3] {
      let env = StreamEnvironment(parallelism: parallelism)
      let out = env.generate(count: 1_000, startingAt: 637) { $0 }.collect()
      try await env.execute()
      expectSameElements(out.values, Array(637..<1_000))
    }
  }
}
