import Foundation
import TestServers
import Testing

/// `tributary-bench exchange` end to end: W2 as two instances (processes)
/// exchanging records through a nats-server started here; every event is
/// counted once and the window results are the ones computed here.
@Suite struct ExchangeBenchTests {
  @Test func twoInstancesCountEveryEventOnceThroughTheExchange() throws {
    let nats = try NATSServer.start()
    defer { nats.stop() }
    let events = 20_000
    let object = try CheckpointSweepTests.benchJSON(
      [
        "exchange", "--nats-url", nats.url, "--events", "\(events)", "--instances", "2",
        "--checkpoint-interval", "200ms", "--timeout", "120", "--json",
      ])
    func int(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
    #expect(object["workload"] as? String == "exchange-w2")
    #expect(object["mismatch"] == nil)
    // Every event crossed the exchange once and was counted in one window.
    #expect(int("output_count") == events)
    #expect(int("exchange_records") == events)
    // Timestamps i / 1000 ms: one 1 s window with all 10,000 keys.
    #expect(int("output_records") == 10_000)
    #expect(int("output_sum") == (0..<events).reduce(0) { $0 + $1 % 100 })
    #expect((int("exchange_messages") ?? 0) > 0)
    #expect((int("exchange_bytes") ?? 0) >= events * 3)
    #expect(((object["events_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0)
  }
}
