import Foundation
import Testing

@testable import Tributary

/// Ordering, chaining, hashing, backpressure and the plan as the runtime builds it.
@Suite struct RuntimeBehaviourTests {
  @Test(arguments: [1, 2, 4])
  func perKeyOrderSurvivesKeyBy(parallelism: Int) async throws {
    struct Tagged: Sendable {
      var key: Int
      var sequence: Int
    }
    let env = StreamEnvironment(parallelism: parallelism)
    env.configuration.batchSize = 64
    let out = env.generate(count: 50_000) { Tagged(key: ($0 * 13) % 101, sequence: $0) }
      .parallelism(1)
      .keyBy { $0.key }
      .process { (t: Tagged, _: KeyedContext<Int>, out: inout Collector<Tagged>) in out.emit(t) }
      .collect()
    try await env.execute()
    var last: [Int: Int] = [:]
    var inOrder = true
    for t in out.values {
      if let previous = last[t.key], previous > t.sequence { inOrder = false }
      last[t.key] = t.sequence
    }
    #expect(out.values.count == 50_000)
    #expect(inOrder)
  }

  @Test func keyedRecordsReachTheOwnerOfTheirKeyGroup() async throws {
    let env = StreamEnvironment(parallelism: 4)
    let out = env.generate(count: 2_000) { "key-\($0 % 97)" }
      .keyBy { $0 }
      .process { (word: String, context: KeyedContext<String>, out: inout Collector<Bool>) in
        out.emit(context.operatorContext.keyGroupRange.contains(context.keyGroup))
      }
      .collect()
    try await env.execute()
    #expect(out.values.count == 2_000)
    #expect(out.values.allSatisfy { $0 })
  }

  @Test func keyGroupRangesTileAllGroups() {
    for parallelism in [1, 2, 3, 4, 7, 128] {
      var covered: [Int] = []
      for s in 0..<parallelism {
        let range = KeyGroups.range(subtask: s, parallelism: parallelism, maxParallelism: 128)
        for group in range {
          #expect(
            KeyGroups.subtask(forKeyGroup: group, parallelism: parallelism, maxParallelism: 128)
              == s)
        }
        covered += Array(range)
      }
      #expect(covered == Array(0..<128))
    }
  }

  @Test func stableHashIsPinned() {
    // These values were computed once; a change would move every key's state.
    var scratch = BinaryWriter()
    #expect(
      KeyGroups.keyGroup(of: "apple", maxParallelism: 128, scratch: &scratch)
        == Self.pinned["apple"])
    #expect(
      KeyGroups.keyGroup(of: Int64(42), maxParallelism: 128, scratch: &scratch)
        == Self.pinned["i:42"])
  }

  static let pinned: [String: Int] = ["apple": 22, "i:42": 9]

  @Test func stableHashAgreesAcrossProcesses() throws {
    guard let bench = builtExecutable("tributary-bench") else {
      Issue.record("tributary-bench is not built; run `swift build` first")
      return
    }
    let keys = ["apple", "pear", "tributary", "i:42", "i:-7", "i:123456789"]
    let first = try runProcess(bench, ["key-groups"] + keys)
    let second = try runProcess(bench, ["key-groups"] + keys)
    #expect(first.status == 0)
    #expect(first.output == second.output)
    var scratch = BinaryWriter()
    for line in first.output.split(separator: "\n") {
      let parts = line.split(separator: " ")
      let key = String(parts[0])
      let group = Int(parts[1])!
      let local =
        key.hasPrefix("i:")
        ? KeyGroups.keyGroup(of: Int64(key.dropFirst(2))!, maxParallelism: 128, scratch: &scratch)
        : KeyGroups.keyGroup(of: key, maxParallelism: 128, scratch: &scratch)
      #expect(group == local, "key \(key)")
    }
  }

  @Test func forwardChainsBecomeOneTask() throws {
    let env = StreamEnvironment(parallelism: 2)
    env.generate(count: 10) { $0 }.map { $0 + 1 }.filter { $0 > 3 }.keyBy { $0 }
      .reduce { $0 + $1 }.discard()
    let plan = try env.explain()
    #expect(plan.contains("task 0 [2x]: Generator -> Map -> Filter  ==> HASH to task 1"))
    #expect(plan.contains("task 1 [2x]: Reduce -> Discard"))
  }

  @Test func forwardWithDifferentParallelismIsRejected() async throws {
    let env = StreamEnvironment(parallelism: 2)
    env.generate(count: 10) { $0 }.forward().map { $0 }.parallelism(3).discard()
    await #expect(throws: JobError.self) { try await env.execute() }
  }

  @Test func backpressureKeepsBufferedRecordsBounded() async throws {
    // A fast source into a deliberately slow sink: the records queued between
    // tasks must not grow with the input.
    func run(_ count: Int) async throws -> (peak: Int, rssGrowth: Int) {
      let env = StreamEnvironment(parallelism: 1)
      env.configuration.batchSize = 256
      env.configuration.channelCapacity = 4
      let payload = String(repeating: "x", count: 1_000)
      let before = residentBytes()
      let peakRSS = RSSSampler()
      env.generate(count: count) { "\($0)\(payload)" }
        .rebalance()
        .sink(name: "SlowSink") { (batch: [String]) in
          peakRSS.sample()
          Thread.sleep(forTimeInterval: 0.0002)
        }
      let result = try await env.execute()
      return (result.peakBufferedRecords, peakRSS.peak - before)
    }
    let small = try await run(20_000)
    let large = try await run(200_000)
    // 4 batches of 256 records per channel is the most that can be queued.
    #expect(small.peak <= 4 * 256)
    #expect(large.peak <= 4 * 256)
    // 200k records of 1 kB would be 200 MB if buffered; growth stays far below.
    #expect(large.rssGrowth < 50_000_000, "RSS grew by \(large.rssGrowth) bytes")
  }
}

/// Current resident set size in bytes (VmRSS), 0 where unknown.
func residentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return 0
  }
  for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
  }
  return 0
}

/// Samples the resident set size and keeps the peak. Thread-safe.
final class RSSSampler: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func sample() {
    let now = residentBytes()
    lock.lock()
    value = max(value, now)
    lock.unlock()
  }
  var peak: Int {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}

/// The integer fast path of key-group hashing must agree with hashing the encoding.
@Test func integerKeyGroupFastPathMatchesEncoding() {
  var scratch = BinaryWriter()
  var rng = SplitMix64(seed: 7)
  for _ in 0..<10_000 {
    let value = Int64(bitPattern: rng.next())
    let viaEncoding = KeyGroups.keyGroup(
      hash: StableHash.hash(value.encodedBytes()), maxParallelism: 128)
    #expect(KeyGroups.keyGroup(of: value, maxParallelism: 128, scratch: &scratch) == viaEncoding)
    #expect(
      KeyGroups.keyGroup(of: Int(value), maxParallelism: 128, scratch: &scratch) == viaEncoding)
  }
}
