import Foundation
import Hummingbird
import Testing
import Tributary

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `asyncMap` enriching a stream from a lookup service: an HTTP server
/// (Hummingbird, in the test process) that answers each customer id with its
/// name after a short random delay, called with URLSession.
@Suite struct AsyncEnrichmentTests {
  struct Order: Sendable, Codable, BinaryCodable {
    var id: Int
    var customer: Int
  }

  static func name(of customer: Int) -> String { "customer-\(customer * 7 % 101)" }

  /// Serves `GET /customers/:id` until the returned task is cancelled; returns its port.
  static func startLookupServer() async throws -> (port: Int, task: Task<Void, any Error>) {
    let router = Router()
    router.get("/customers/:id") { _, context -> String in
      let id = try context.parameters.require("id", as: Int.self)
      try await Task.sleep(for: .microseconds(Int64.random(in: 0..<3_000)))
      return name(of: id)
    }
    let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { channel in
        continuation.yield(channel.localAddress?.port ?? -1)
        continuation.finish()
      })
    let task = Task {
      defer { continuation.finish() }
      try await app.runService()
    }
    var iterator = bound.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else {
      task.cancel()
      throw CocoaError(.fileReadUnknown)
    }
    return (port, task)
  }

  @Test(arguments: [true, false])
  func ordersAreEnrichedFromTheLookupService(ordered: Bool) async throws {
    let (port, server) = try await Self.startLookupServer()
    defer { server.cancel() }
    let count = 400
    var config = JobConfiguration()
    config.parallelism = 2
    config.batchSize = 32
    let env = StreamEnvironment(configuration: config)
    let enriched = env.generate(count: count) { Order(id: $0, customer: $0 % 37) }
      .asyncMap(name: "CustomerLookup", capacity: 8, timeout: .seconds(30), ordered: ordered) {
        order in
        let url = URL(string: "http://127.0.0.1:\(port)/customers/\(order.customer)")!
        let (data, _) = try await URLSession.shared.data(from: url)
        return "\(order.id),\(String(decoding: data, as: UTF8.self))"
      }
      .collect()
    _ = try await env.execute()
    #expect(
      enriched.values.sorted() == (0..<count).map { "\($0),\(Self.name(of: $0 % 37))" }.sorted())
  }
}
