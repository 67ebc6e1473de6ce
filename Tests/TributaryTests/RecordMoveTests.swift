import Synchronization
import Testing

@testable import Tributary

/// The records of a chain move from operator to operator instead of being
/// copied: a batch function takes each record out of its batch, so the
/// record is gone as soon as the function is done with it (a copy would keep
/// every record of the batch alive until the whole batch is dropped).
@Suite struct RecordMoveTests {
  /// How many tokens are alive.
  final class Census: Sendable {
    let alive = Mutex(0)
    var count: Int { alive.withLock { $0 } }
  }

  /// A record holding a reference: counted alive from creation to deinit.
  final class Token: Sendable {
    let census: Census
    init(_ census: Census) {
      self.census = census
      census.alive.withLock { $0 += 1 }
    }
    deinit { census.alive.withLock { $0 -= 1 } }
  }

  /// A job at parallelism 1 with batches of 64 whose source makes 640
  /// tokens, chained to a watermark assigner (a pass-through operator).
  func tokenJob(_ census: Census) -> (StreamEnvironment, DataStream<Token>) {
    var config = JobConfiguration()
    config.parallelism = 1
    config.batchSize = 64
    let env = StreamEnvironment(configuration: config)
    let tokens = env.generate(count: 640) { _ in Token(census) }
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.seconds(1)) { _ in 0 })
    return (env, tokens)
  }

  @Test func takeEachVisitsInOrderAndLeavesTheArrayEmptyWithItsCapacity() {
    var array = (0..<100).map(String.init)
    array.reserveCapacity(256)
    var seen: [String] = []
    array.takeEach { seen.append($0) }
    #expect(seen == (0..<100).map(String.init))
    #expect(array.isEmpty)
    #expect(array.capacity >= 256)
  }

  @Test func takeEachReleasesEveryElementBeforeTheNext() {
    let census = Census()
    var tokens = (0..<10).map { _ in Token(census) }
    var aliveSeen: [Int] = []
    tokens.takeEach { token in
      aliveSeen.append(token.census.count)
    }
    #expect(aliveSeen == Array((1...10).reversed()))
    #expect(census.count == 0)
  }

  @Test func aSharedArrayIsCopiedAndLeftIntact() {
    var array = (0..<10).map(String.init)
    let shared = array
    var seen: [String] = []
    array.takeEach { seen.append($0) }
    #expect(seen == shared)
    #expect(shared == (0..<10).map(String.init))
    #expect(array.isEmpty)
  }

  @Test func moveAllHandsOverTheElementsInOrder() {
    var from = ["a", "b"]
    var onto: [String] = []
    from.moveAll(onto: &onto)
    #expect(onto == ["a", "b"] && from.isEmpty)
    from = ["c"]
    from.moveAll(onto: &onto)
    #expect(onto == ["a", "b", "c"] && from.isEmpty)
  }

  /// Each built-in batch function, chained to a source behind a watermark
  /// assigner, logs how many tokens are alive while it handles a record: with
  /// moves, the k-th record (from 0) of a batch of 64 sees 64 − k (itself and
  /// the ones after it); with copies every record would see 64.
  @Test(arguments: ["map", "filter", "compactMap", "flatMap", "process"])
  func chainedBatchFunctionsTakeTheirRecords(function: String) async throws {
    let census = Census()
    let log = Mutex<[Int]>([])
    @Sendable func note(_ token: Token) -> Int {
      let alive = token.census.count
      log.withLock { $0.append(alive) }
      return alive
    }
    let (env, tokens) = tokenJob(census)
    let out: DataStream<Int>
    switch function {
    case "map": out = tokens.map(note)
    case "filter": out = tokens.filter { note($0) < 0 }.map { _ in 0 }
    case "compactMap": out = tokens.compactMap(note)
    case "flatMap": out = tokens.flatMap { [note($0)] }
    default: out = tokens.process { token, out in out.emit(note(token)) }
    }
    let results = out.collect()
    _ = try await withTimeout(60) { try await env.execute() }
    let expected = Array((0..<10).flatMap { _ in (1...64).reversed() })
    let seen = log.withLock { $0 }
    let differing = zip(seen, expected).filter { $0 != $1 }.count
    #expect(
      seen.count == expected.count && differing == 0,
      "\(differing) of \(seen.count) records saw other counts; the first saw \(seen.prefix(4))")
    #expect(results.values.count == (function == "filter" ? 0 : 640))
    #expect(census.count == 0)
  }

  /// Each batch function that hands its record to the user's function
  /// (`map`, `compactMap`, `flatMap`, `process`) gives the function the record
  /// as its own (`consuming`), so the function holds the only reference: it
  /// can move parts of the record into its result without a copy (q0's
  /// `compactMap { $0.bid }` copied every bid, retaining each of its strings,
  /// while the function only borrowed the event).
  @Test(arguments: ["map", "compactMap", "flatMap", "process"])
  func batchFunctionsOwnTheRecordTheyAreGiven(function: String) async throws {
    let census = Census()
    let log = Mutex<[Bool]>([])
    @Sendable func note(_ token: consuming Token) -> Int {
      var owned = consume token
      let unique = isKnownUniquelyReferenced(&owned)
      log.withLock { $0.append(unique) }
      return unique ? 1 : 0
    }
    let (env, tokens) = tokenJob(census)
    let out: DataStream<Int>
    switch function {
    case "map": out = tokens.map { (token: consuming Token) in note(consume token) }
    case "compactMap": out = tokens.compactMap { (token: consuming Token) in note(consume token) }
    case "flatMap": out = tokens.flatMap { (token: consuming Token) in [note(consume token)] }
    default:
      out = tokens.process { (token: consuming Token, out: inout Collector<Int>) in
        out.emit(note(consume token))
      }
    }
    let results = out.collect()
    _ = try await withTimeout(60) { try await env.execute() }
    let seen = log.withLock { $0 }
    #expect(seen.count == 640)
    #expect(
      seen.allSatisfy { $0 }, "\(seen.filter { !$0 }.count) of \(seen.count) records were shared")
    #expect(results.values.count == 640 && results.values.allSatisfy { $0 == 1 })
    #expect(census.count == 0)
  }
}
