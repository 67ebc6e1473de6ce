import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q5, hot items: for every hopping window (10 s long, every 2 s),
  /// the auctions with the most bids in it, ties included. Only the auction
  /// and time of each bid are carried into the windows.
  public func q5() -> DataStream<Q5Result> {
    bids.map(name: "Q5Project") { Pair($0.auction, $0.dateTime) }
      .withTimestamps { $0.second }
      .keyBy { $0.first }
      .window(.sliding(.seconds(10), slide: .seconds(2)))
      .aggregate(name: "Q5CountBids", CountBids()) { auction, window, count in
        AuctionCount(auction: auction, num: count, windowStart: window.start)
      }
      .withTimestamps { $0.windowStart + 10_000 - 1 }  // the window's maxTimestamp
      .keyBy { $0.windowStart }
      // Each 2 s tumbling window holds the counts of exactly one hopping window.
      .window(.tumbling(.seconds(2)))
      .aggregate(name: "Q5MostBids", MostBids()) { windowStart, _, top in
        top.auctions.map { Q5Result(auction: $0, num: top.num, windowStart: windowStart) }
      }
      .flatMap(name: "Q5Rows") { $0 }
  }
}

/// An auction's number of bids in the hopping window starting at `windowStart`.
struct AuctionCount: Sendable {
  var auction: Int64
  var num: Int64
  var windowStart: Int64
}

/// Counts bids, each given as `Pair(auction, dateTime)`.
struct CountBids: AggregateFunction {
  func createAccumulator() -> Int64 { 0 }
  func add(_ bid: Pair<Int64, Int64>, to count: Int64) -> Int64 { count + 1 }
  func result(_ count: Int64) -> Int64 { count }
  func merge(_ a: Int64, _ b: Int64) -> Int64 { a + b }
}

/// The largest count seen and every auction that has it.
struct TopAuctions: Sendable, BinaryCodable {
  var num: Int64
  var auctions: [Int64]

  func encode(to writer: inout BinaryWriter) {
    num.encode(to: &writer)
    auctions.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> TopAuctions {
    TopAuctions(num: try .decode(from: &reader), auctions: try .decode(from: &reader))
  }
}

/// Keeps the auctions with the largest count (all of them on a tie).
struct MostBids: AggregateFunction {
  func createAccumulator() -> TopAuctions { TopAuctions(num: 0, auctions: []) }

  func add(_ count: AuctionCount, to top: TopAuctions) -> TopAuctions {
    if count.num > top.num { return TopAuctions(num: count.num, auctions: [count.auction]) }
    guard count.num == top.num else { return top }
    var top = top
    top.auctions.append(count.auction)
    return top
  }

  func result(_ top: TopAuctions) -> TopAuctions { top }

  func merge(_ a: TopAuctions, _ b: TopAuctions) -> TopAuctions {
    if a.num != b.num { return a.num > b.num ? a : b }
    return TopAuctions(num: a.num, auctions: a.auctions + b.auctions)
  }
}
