import Foundation
import Synchronization
import Testing

@testable import Tributary

/// A batch that several tasks receive (a stream read twice, a broadcast) is
/// one array: the router hands the array itself to the last of them and the
/// same array to the others, which read it in place instead of copying it
/// whole to take its records; a batch only one task receives is handed over,
/// so that task can take its records without a copy; a hash edge moves the
/// records into the batches it sends.
@Suite struct FanOutSharingTests {
  /// A router over `mailboxes`, one forward edge each.
  func router(into mailboxes: [Mailbox<String>]) -> Router<String> {
    Router(
      edges: mailboxes.map {
        RouterEdge(targets: [MailboxPort($0)], channels: [0], kind: .forward, split: nil)
      },
      batchSize: 64, flushTimeout: .seconds(60), subtask: 0, clock: ManualRuntimeClock())
  }

  /// The records of the batch waiting in `mailbox`.
  func received(_ mailbox: Mailbox<String>) -> [String]? {
    guard case .records(let batch) = mailbox.tryReceive()?.element else { return nil }
    return batch
  }

  @Test func aBatchForOneTargetIsHandedOverAndTheCallerKeepsItsCapacity() async throws {
    let mailbox = Mailbox<String>(channels: 1, capacity: 4)
    var batch = (0..<64).map { "r\($0)" }
    batch.reserveCapacity(100)
    try await router(into: [mailbox]).push(&batch)
    #expect(batch.isEmpty)
    #expect(batch.capacity >= 100)
    #expect(received(mailbox) == (0..<64).map { "r\($0)" })
  }

  @Test func aBatchForTwoTargetsReachesBothWhole() async throws {
    let first = Mailbox<String>(channels: 1, capacity: 4)
    let second = Mailbox<String>(channels: 1, capacity: 4)
    var batch = (0..<64).map { "r\($0)" }
    try await router(into: [first, second]).push(&batch)
    #expect(batch.isEmpty)
    #expect(received(first) == (0..<64).map { "r\($0)" })
    #expect(received(second) == (0..<64).map { "r\($0)" })
  }

  /// A hash edge moves the records into its targets' batches; when another
  /// edge also gets the batch as it is, it splits a copy and the other edge
  /// gets the whole batch.
  @Test func aHashEdgeTakesTheRecordsUnlessAnotherEdgeNeedsTheBatch() async throws {
    func hashEdge(_ mailboxes: [Mailbox<String>]) -> RouterEdge<String> {
      RouterEdge(
        targets: mailboxes.map { MailboxPort($0) }, channels: [0, 0], kind: .hash,
        split: HashPartitioner<String>.byKey { $0 }.make(2, 128))
    }
    let records = (0..<64).map { "r\($0)" }
    let keyed = [Mailbox<String>(channels: 1, capacity: 4), Mailbox(channels: 1, capacity: 4)]
    var batch = records
    try await Router(
      edges: [hashEdge(keyed)], batchSize: 4, flushTimeout: .seconds(60), subtask: 0,
      clock: ManualRuntimeClock()
    ).push(&batch)
    #expect(batch.isEmpty)
    var routed = keyed.flatMap { received($0) ?? [] }
    expectSameElements(routed, records)

    let forward = Mailbox<String>(channels: 1, capacity: 4)
    let keyedAgain = [Mailbox<String>(channels: 1, capacity: 4), Mailbox(channels: 1, capacity: 4)]
    batch = records
    try await Router(
      edges: [
        hashEdge(keyedAgain),
        RouterEdge(targets: [MailboxPort(forward)], channels: [0], kind: .forward, split: nil),
      ],
      batchSize: 4, flushTimeout: .seconds(60), subtask: 0, clock: ManualRuntimeClock()
    ).push(&batch)
    routed = keyedAgain.flatMap { received($0) ?? [] }
    expectSameElements(routed, records)
    #expect(received(forward) == records)
  }

  /// The channels on which a batch may arrive shared: those from a producer
  /// that delivers each batch to several tasks as it is; hash edges and a
  /// producer with one consumer hand over arrays of their own.
  @Test func theChannelsOfAStreamReadTwiceAreSharedAndNoOthers() throws {
    var config = JobConfiguration()
    config.parallelism = 2
    let env = StreamEnvironment(configuration: config)
    let source = env.generate(count: 10) { "r\($0)" }
    source.map(name: "First") { $0 + "a" }.discard()
    source.map(name: "Second") { $0 + "b" }.keyBy { $0.count }
      .reduce(name: "Keyed") { $0 + $1 }.discard()
    let plan = try PhysicalPlan(nodes: env.nodes, config: env.configuration)
    func chain(_ name: String) -> Int {
      plan.chains.firstIndex { $0.nodes.contains { $0.name == name } }!
    }
    #expect(plan.sharedChannels(of: chain("First")) == [true])
    #expect(plan.sharedChannels(of: chain("Second")) == [true])
    #expect(plan.sharedChannels(of: chain("Keyed")) == [false, false])
  }

  /// Every built-in batch function, reading a stream that two of them read,
  /// gives the same records as it does alone; run with large batches of
  /// strings so the shared arrays are delivered as they are.
  @Test(arguments: [1, 2])
  func everyBatchFunctionReadsASharedStreamCorrectly(parallelism: Int) async throws {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    let env = StreamEnvironment(configuration: config)
    let count = 20_000
    let source = env.generate(count: count) { "r\($0)" }
    let mapped = source.map { $0 + "!" }.collect()
    let filtered = source.filter { $0.hasSuffix("7") }.collect()
    let compact = source.compactMap { $0.hasSuffix("3") ? $0.uppercased() : nil }.collect()
    let flat = source.flatMap { [$0, $0] }.collect()
    let processed = source.process { (record: String, out: inout Collector<Int>) in
      out.emit(record.count)
    }.collect()
    let plan = try PhysicalPlan(nodes: env.nodes, config: env.configuration)
    let readers = plan.chains.indices.filter { !plan.chains[$0].head.isSource }
    #expect(readers.allSatisfy { plan.sharedChannels(of: $0).allSatisfy { $0 } })
    try await env.execute()
    let records = (0..<count).map { "r\($0)" }
    expectSameElements(mapped.values, records.map { $0 + "!" })
    expectSameElements(filtered.values, records.filter { $0.hasSuffix("7") })
    expectSameElements(
      compact.values, records.filter { $0.hasSuffix("3") }.map { $0.uppercased() })
    expectSameElements(flat.values, records.flatMap { [$0, $0] })
    expectSameElements(processed.values, records.map(\.count))
  }

  /// A shared batch reaches the read form of a batch function, one the task
  /// owns its take form.
  @Test func aChainLinkReadsASharedBatchAndTakesItsOwn() async throws {
    let calls = Mutex<[String]>([])
    let kernel = OperatorKernel<String, String>.taking(
      { batch, out in
        calls.withLock { $0.append("take") }
        batch.takeEach { out.append($0) }
      },
      reading: { batch, out in
        calls.withLock { $0.append("read") }
        out.append(contentsOf: batch)
      })
    let sink = Collected()
    let link = try ChainLink(
      kernel: kernel,
      context: OperatorContext(
        operatorName: "Test", subtaskIndex: 0, parallelism: 1, maxParallelism: 128),
      next: sink)
    let shared = ["a", "b"]
    try await link.push(shared: shared)
    var own = ["c"]
    try await link.push(&own)
    #expect(calls.withLock { $0 } == ["read", "take"])
    #expect(shared == ["a", "b"])
    #expect(sink.records == ["a", "b", "c"])
  }

  /// Keeps what it receives.
  final class Collected: Downstream<String> {
    var records: [String] = []
    override func push(_ batch: inout [String]) async throws { records += batch }
  }
}
