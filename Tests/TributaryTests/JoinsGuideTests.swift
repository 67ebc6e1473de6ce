import Foundation
import Testing

@testable import Tributary

// The examples of docs/joins.md, as written there.

struct Impression: Codable, BinaryCodable {
  var user: Int64
  var ad: String
  var timeMs: Int64
}
struct Click: Codable, BinaryCodable {
  var user: Int64
  var timeMs: Int64
}
struct Trade: Codable, BinaryCodable {
  var symbol: String
  var price: Double
  var timeMs: Int64
}
struct Quote: Codable, BinaryCodable {
  var symbol: String
  var bid: Double
  var timeMs: Int64
}

@Suite struct JoinsGuideTests {
  @Test func joinsGuide() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let impressions = env.fromCollection([
      Impression(user: 1, ad: "shoes", timeMs: 1_000),
      Impression(user: 2, ad: "hats", timeMs: 1_500),
      Impression(user: 1, ad: "socks", timeMs: 9_000),
    ]).assignTimestampsAndWatermarks(.boundedOutOfOrderness(.seconds(1)) { $0.timeMs })
    let clicks = env.fromCollection([Click(user: 1, timeMs: 2_500), Click(user: 2, timeMs: 9_000)])
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.seconds(1)) { $0.timeMs })

    let lateClicks = OutputTag<Click>("late-clicks")
    let attributed = clicks.keyBy { $0.user }
      .intervalJoin(impressions.keyBy { $0.user })
      .between(.seconds(-2), .zero)  // impression.time ∈ [click.time − 2 s, click.time]
      .upperBoundExclusive()  // … but strictly before the click
      .sideOutputLeftLateData(lateClicks)
      .process { click, impression, context, out in
        let delay = context.leftTimestamp - context.rightTimestamp
        out.emit("user \(context.key) clicked \(impression.ad) \(delay) ms after seeing it")
      }
    let results = attributed.collect()  // "user 1 clicked shoes 1500 ms after seeing it"
    let late = attributed.sideOutput(lateClicks).collect()  // none here

    let trades = env.fromCollection([Trade(symbol: "ACME", price: 10.5, timeMs: 100)])
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(50)) { $0.timeMs })
    let quotes = env.fromCollection([
      Quote(symbol: "ACME", bid: 10.4, timeMs: 20), Quote(symbol: "ACME", bid: 10.6, timeMs: 1_200),
    ]).assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(50)) { $0.timeMs })

    let spreads = trades.join(quotes)
      .where { $0.symbol }
      .equalTo { $0.symbol }
      .window(.tumbling(.seconds(1)))
      .apply { trade, quote in "\(trade.symbol) \(trade.price - quote.bid)" }
      .collect()  // one line: the trade and the quote of [0, 1 s)

    let fullOuter = trades.coGroup(quotes)
      .where { $0.symbol }
      .equalTo { $0.symbol }
      .window(.tumbling(.seconds(1)))
      .apply { symbol, window, trades, quotes, out in
        if quotes.isEmpty { for t in trades { out.emit("\(symbol) trade \(t.price), no quote") } }
        if trades.isEmpty { for q in quotes { out.emit("\(symbol) quote \(q.bid), no trade") } }
        for t in trades { for q in quotes { out.emit("\(symbol) \(t.price) / \(q.bid)") } }
      }
      .collect()  // "ACME 10.5 / 10.4" for [0, 1 s), "ACME quote 10.6, no trade" for [1 s, 2 s)

    _ = try await withTimeout(60) { try await env.execute() }
    #expect(results.values == ["user 1 clicked shoes 1500 ms after seeing it"])
    #expect(late.values.isEmpty)
    #expect(spreads.values == ["ACME \(10.5 - 10.4)"])
    expectSameElements(fullOuter.values, ["ACME 10.5 / 10.4", "ACME quote 10.6, no trade"])
  }
}
