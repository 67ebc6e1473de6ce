import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q7, highest bid, as Nexmark's SQL has it: for every 10 s tumbling
  /// window with bids, the bids with that window's highest price (ties
  /// included) and `dateTime` between the window's end − 10 s and its end,
  /// both inclusive. So besides the window's own bids with its maximum, a bid
  /// stamped exactly at the window's end (the next window's first
  /// millisecond) is a row of the window when its price is the maximum; it
  /// does not count toward that maximum, and it is also a row of its own
  /// window if it has that window's maximum.
  ///
  /// The bids are picked out of the events and projected to the result's
  /// fields in one operator; a bid at a window's start is also sent, as a
  /// *boundary* bid, to the window before (stamped 1 ms earlier, so in time
  /// for it unless the bid itself is exactly as late as the watermark
  /// allows). Bids are reduced per window in 128 buckets of auctions, in
  /// parallel, then per window; a boundary bid is kept only while its price
  /// is at least the highest price seen.
  public func q7() -> DataStream<Q7Result> {
    process(name: "Q7Project") { (event, out: inout Collector<Q7Bid>) in
      guard case .bid(let bid) = event else { return }
      let row = Q7Result(
        auction: bid.auction, price: bid.price, bidder: bid.bidder, dateTime: bid.dateTime,
        extra: bid.extra)
      if bid.dateTime % 10_000 == 0 { out.emit(Q7Bid(row: row, isBoundary: true)) }
      out.emit(Q7Bid(row: row, isBoundary: false))
    }
    .withTimestamps { $0.isBoundary ? $0.row.dateTime - 1 : $0.row.dateTime }
    .keyBy { $0.row.auction & 127 }
    .window(.tumbling(.seconds(10)))
    .aggregate(name: "Q7BucketMax", HighestBids()) { _, window, top in
      WindowTopBids(windowStart: window.start, top: top)
    }
    .withTimestamps { $0.windowStart + 10_000 - 1 }
    .keyBy { $0.windowStart }
    .window(.tumbling(.seconds(10)))
    .aggregate(name: "Q7WindowMax", MergeHighestBids()) { _, _, top in top.rows }
    .flatMap(name: "Q7Rows") { $0 }
  }
}

/// A bid on its way into q7's windows: its row, and whether it is the copy
/// of a bid at a window's start sent to the window before (a boundary bid,
/// stamped 1 ms before its `dateTime`).
struct Q7Bid: Sendable, BinaryCodable {
  var row: Q7Result
  var isBoundary: Bool

  func encode(to writer: inout BinaryWriter) {
    row.encode(to: &writer)
    isBoundary.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> Q7Bid {
    Q7Bid(row: try .decode(from: &reader), isBoundary: try .decode(from: &reader))
  }
}

/// The highest price seen and the bids that offered it, and the boundary bids
/// (stamped at the window's end) that may still have the window's maximum.
struct TopBids: Sendable, BinaryCodable {
  /// The highest price of the window's own bids (`Int64.min` while `bids` is empty).
  var price: Int64
  /// The window's own bids with `price`.
  var bids: [Q7Result]
  /// Bids stamped at the window's end: rows of the window if its maximum is
  /// their price, but not counted toward it. Those below `price` are dropped
  /// (the maximum only rises).
  var boundary: [Q7Result]

  /// A window with no bids yet.
  static let empty = TopBids(price: .min, bids: [], boundary: [])

  func encode(to writer: inout BinaryWriter) {
    price.encode(to: &writer)
    bids.encode(to: &writer)
    boundary.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> TopBids {
    TopBids(
      price: try .decode(from: &reader), bids: try .decode(from: &reader),
      boundary: try .decode(from: &reader))
  }

  /// The window's rows: its bids with the maximum and the boundary bids with
  /// that price (none if the window has no bids of its own: it has no maximum).
  var rows: [Q7Result] {
    if boundary.isEmpty || bids.isEmpty { return bids }
    return bids + boundary.filter { $0.price == price }
  }

  /// The bids of both with the higher price (all of both on a tie), and the
  /// boundary bids of both at or above it.
  func merged(with other: TopBids) -> TopBids {
    var top: TopBids
    if price == other.price {
      top = TopBids(price: price, bids: bids + other.bids, boundary: [])
    } else {
      top = price > other.price ? self : other
    }
    if !boundary.isEmpty || !other.boundary.isEmpty {
      let price = top.price
      top.boundary = (boundary + other.boundary).filter { $0.price >= price }
    }
    return top
  }
}

/// One bucket's highest bids of the window starting at `windowStart`.
struct WindowTopBids: Sendable {
  var windowStart: Int64
  var top: TopBids
}

/// Keeps the bids with the highest price, and the boundary bids at or above it.
struct HighestBids: AggregateFunction {
  func createAccumulator() -> TopBids { .empty }
  func add(_ bid: Q7Bid, to top: TopBids) -> TopBids {
    let price = bid.row.price
    if bid.isBoundary {
      guard price >= top.price else { return top }
      var top = top
      top.boundary.append(bid.row)
      return top
    }
    if price > top.price {
      var boundary = top.boundary
      if !boundary.isEmpty { boundary.removeAll { $0.price < price } }
      return TopBids(price: price, bids: [bid.row], boundary: boundary)
    }
    guard price == top.price else { return top }
    var top = top
    top.bids.append(bid.row)
    return top
  }
  func result(_ top: TopBids) -> TopBids { top }
  func merge(_ a: TopBids, _ b: TopBids) -> TopBids { a.merged(with: b) }
}

/// Merges the buckets' highest bids of one window.
struct MergeHighestBids: AggregateFunction {
  func createAccumulator() -> TopBids { .empty }
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
