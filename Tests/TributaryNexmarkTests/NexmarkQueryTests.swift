import Foundation
import Testing
import Tributary
import TributaryNexmark

/// Every query through the engine, against ``PlainReference`` over the same
/// events, at parallelism 1 and 3, on the heap and on RocksDB. One case at a
/// time, so that the suite does not crowd the timing-sensitive tests running beside it.
@Suite(.serialized) struct NexmarkQueryTests {
  /// Events per run: a few hundred thousand in release builds, fewer in debug
  /// builds (where the engine is about ten times slower) to keep the suite short.
  #if DEBUG
    static let events = 60_000
  #else
    static let events = 300_000
  #endif

  /// 1,000 events per second of event time: 60 s of auctions, windows and expiries.
  static let configuration: NexmarkConfiguration = {
    var configuration = NexmarkConfiguration()
    configuration.firstEventRate = 1_000
    return configuration
  }()

  static let allEvents: [NexmarkEvent] = {
    let generator = NexmarkGenerator(configuration: configuration)
    return (0..<events).map { generator.event(Int64($0)) }
  }()

  static let cases: [(NexmarkQuery, Int, StateBackendConfiguration.Kind)] =
    NexmarkQuery.allCases.flatMap { query in
      [(query, 1, .heap), (query, 3, .heap), (query, 3, .rocksdb)]
    }

  @Test(arguments: cases)
  func queryMatchesThePlainReference(
    query: NexmarkQuery, parallelism: Int, backend: StateBackendConfiguration.Kind
  ) async throws {
    let (env, directory) = nexmarkTestEnvironment(
      "nexmark-\(query)", parallelism: parallelism, backend: backend)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let rows = query.results(
      of: env.nexmark(events: Self.events, configuration: Self.configuration)
    ).map { $0.jsonLine }.collect()
    _ = try await env.execute()
    let expected = PlainReference.rows(query, Self.allEvents).sorted()
    let produced = rows.values.sorted()
    #expect(!expected.isEmpty)
    #expect(produced.count == expected.count)
    #expect(produced == expected)
  }

  @Test func theDefaultRateFillsOneWindowAndStillMatches() async throws {
    // 10 M events per second: 50,000 events are 5 ms of event time.
    let env = StreamEnvironment(parallelism: 2)
    let rows = NexmarkQuery.q5.results(of: env.nexmark(events: 50_000)).map { $0.jsonLine }
      .collect()
    _ = try await env.execute()
    let generator = NexmarkGenerator()
    let events = (0..<50_000).map { generator.event(Int64($0)) }
    #expect(rows.values.sorted() == PlainReference.rows(.q5, events).sorted())
  }
}
