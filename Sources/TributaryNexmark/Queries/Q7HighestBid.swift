import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q7, highest bid: for every 10 s tumbling window, the bids with
  /// that window's highest price (ties included). Bids are first reduced per
  /// window in 128 buckets of auctions, in parallel, then per window; only the
  /// fields of the result are carried into the windows.
  public func q7() -> DataStream<Q7Result> {
    bids.map(name: "Q7Project") {
      Q7Result(
        auction: $0.auction, price: $0.price, bidder: $0.bidder, dateTime: $0.dateTime,
        extra: $0.extra)
    }
    .withTimestamps { $0.dateTime }
    .keyBy { $0.auction & 127 }
    .window(.tumbling(.seconds(10)))
    .aggregate(name: "Q7BucketMax", HighestBids()) { _, window, top in
      WindowTopBids(windowStart: window.start, top: top)
    }
    .withTimestamps { $0.windowStart + 10_000 - 1 }
    .keyBy { $0.windowStart }
    .window(.tumbling(.seconds(10)))
    .aggregate(name: "Q7WindowMax", MergeHighestBids()) { _, _, top in top.bids }
    .flatMap(name: "Q7Rows") { $0 }
  }
}

/// The highest price seen and the bids that offered it.
struct TopBids: Sendable, BinaryCodable {
  var price: Int64
  var bids: [Q7Result]

  func encode(to writer: inout BinaryWriter) {
    price.encode(to: &writer)
    bids.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> TopBids {
    TopBids(price: try .decode(from: &reader), bids: try .decode(from: &reader))
  }

  /// The bids of both with the higher price (all of both on a tie).
  func merged(with other: TopBids) -> TopBids {
    if price != other.price { return price > other.price ? self : other }
    return TopBids(price: price, bids: bids + other.bids)
  }
}

/// One bucket's highest bids of the window starting at `windowStart`.
struct WindowTopBids: Sendable {
  var windowStart: Int64
  var top: TopBids
}

/// Keeps the bids with the highest price.
struct HighestBids: AggregateFunction {
  func createAccumulator() -> TopBids { TopBids(price: .min, bids: []) }
  func add(_ bid: Q7Result, to top: TopBids) -> TopBids {
    if bid.price > top.price { return TopBids(price: bid.price, bids: [bid]) }
    guard bid.price == top.price else { return top }
    var top = top
    top.bids.append(bid)
    return top
  }
  func result(_ top: TopBids) -> TopBids { top }
  func merge(_ a: TopBids, _ b: TopBids) -> TopBids { a.merged(with: b) }
}

/// Merges the buckets' highest bids of one window.
struct MergeHighestBids: AggregateFunction {
  func createAccumulator() -> TopBids { TopBids(price: .min, bids: []) }
  func add(_ bucket: WindowTopBids, to top: TopBids) -> TopBids { top.merged(with: bucket.top) }
  func result(_ top: TopBids) -> TopBids { top }
  func merge(_ a: TopBids, _ b: TopBids) -> TopBids { a.merged(with: b) }
}

extension Q7Result: BinaryCodable {
  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    auction.encode(to: &writer)
    price.encode(to: &writer)
    bidder.encode(to: &writer)
    dateTime.encode(to: &writer)
    extra.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Q7Result {
    Q7Result(
      auction: try .decode(from: &reader), price: try .decode(from: &reader),
      bidder: try .decode(from: &reader), dateTime: try .decode(from: &reader),
      extra: try .decode(from: &reader))
  }
}
