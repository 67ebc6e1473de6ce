import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q4, average price per category: for every auction, the highest
  /// bid placed within its lifetime (`auction.dateTime ≤ bid.dateTime ≤
  /// expires`), then per category the average of those winning prices
  /// (truncated to an integer, as Flink's `AVG` on `BIGINT`), emitted once per
  /// category with its final value at the end of input.
  /// Only the fields it needs are carried into the join.
  public func q4() -> DataStream<Q4Result> {
    // `auctions` and `bids` read the stream twice, a fan-out the engine does
    // not chain. Picking both out next to the source (as q3 and q8 do) made
    // q4 slower once its state outgrew the cache: the auctions and the bids
    // of one batch then reach the join in no particular order, and a bid that
    // arrives before its auction waits in state.
    let lifetimes = auctions.map(name: "Q4Auctions") {
      OpenAuction(
        id: $0.id, dateTime: $0.dateTime, expires: $0.expires, category: $0.category, best: nil)
    }
    let prices = bids.map(name: "Q4Bids") {
      BidPrice(auction: $0.auction, price: $0.price, dateTime: $0.dateTime)
    }
    return lifetimes.keyBy { $0.id }.connect(prices.keyBy { $0.auction })
      .process(name: "Q4WinningBids", WinningBid())
      .keyBy { $0.category }
      .process(name: "Q4Average", AveragePerCategory())
  }
}

/// An auction's winning price in its category.
struct WinningPrice: Sendable {
  var category: Int64
  var price: Int64
}

/// What q4 needs of a bid.
struct BidPrice: Sendable {
  var auction: Int64
  var price: Int64
  var dateTime: Int64
}

/// What q4 keeps of an auction: its lifetime, category and best bid so far,
/// and whether it has closed (only in snapshots of an earlier version).
struct OpenAuction: Sendable, BinaryCodable {
  var id: Int64
  var dateTime: Int64
  var expires: Int64
  var category: Int64
  /// The highest price within the lifetime so far, `nil` before the first such bid.
  var best: Int64?
  /// Set only by an earlier version, which kept a closed auction (price
  /// emitted) 10 s longer so that later bids were dropped at once.
  var closed = false

  func encode(to writer: inout BinaryWriter) {
    id.encode(to: &writer)
    dateTime.encode(to: &writer)
    expires.encode(to: &writer)
    category.encode(to: &writer)
    best.encode(to: &writer)
    closed.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> OpenAuction {
    OpenAuction(
      id: try .decode(from: &reader), dateTime: try .decode(from: &reader),
      expires: try .decode(from: &reader),
      category: try .decode(from: &reader), best: try .decode(from: &reader),
      closed: try .decode(from: &reader))
  }
}

/// q4's join, keyed by auction id. Bids that arrive before their auction wait
/// (as `Pair(dateTime, price)`) until it arrives or until the watermark passes
/// their time (then no auction can still start before them); one cleanup
/// timer per auction id, at the first waiting bid's time, stands for them all
/// and is deleted when the auction arrives. The auction's highest bid is
/// emitted when the watermark passes `expires` (at the latest at end of
/// input), and the auction is forgotten. A bid arriving for it after that
/// has a time past the watermark, so past `expires`: it can never win, waits
/// like an early bid, and is dropped when the watermark passes it. (At
/// Nexmark's rates no such bid comes: bids name the last hundred or so
/// auctions, and the watermark trails the bids by 4 s.)
///
/// `closed` is set only in snapshots of an earlier version, which kept a
/// closed auction 10 s longer; such an auction is forgotten at its next timer.
struct WinningBid: KeyedCoProcessFunction {

  var open: ValueState<OpenAuction>!
  var waiting: ListState<Pair<Int64, Int64>>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    open = try context.state(ValueStateDescriptor<OpenAuction>("q4-auction"))
    waiting = try context.state(ListStateDescriptor<Pair<Int64, Int64>>("q4-waiting-bids"))
  }

  mutating func processElement1(
    _ value: OpenAuction, context: KeyedContext<Int64>, out: inout Collector<WinningPrice>
  ) throws {
    var auction = value
    let early = try waiting.get()
    if let first = early.first {
      // The waiting bids' cleanup timer is not needed any more.
      try context.deleteEventTimeTimer(first.first)
      for bid in early where bid.first >= value.dateTime && bid.first <= value.expires {
        auction.best = max(auction.best ?? .min, bid.second)
      }
      try waiting.clear()
    }
    try open.update(auction)
    try context.registerEventTimeTimer(value.expires)
  }

  mutating func processElement2(
    _ value: BidPrice, context: KeyedContext<Int64>, out: inout Collector<WinningPrice>
  ) throws {
    if var auction = try open.value() {
      guard !auction.closed,
        value.dateTime >= auction.dateTime && value.dateTime <= auction.expires,
        value.price > auction.best ?? .min
      else { return }
      auction.best = value.price
      try open.update(auction)
    } else {
      // The first waiting bid's time is the cleanup timer of them all.
      if try waiting.get().isEmpty { try context.registerEventTimeTimer(value.dateTime) }
      try waiting.add(Pair(value.dateTime, value.price))
    }
  }

  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
    out: inout Collector<WinningPrice>
  ) throws {
    if let auction = try open.value() {
      if auction.closed {
        try open.clear()
      } else if timestamp >= auction.expires {
        if let best = auction.best {
          out.emit(WinningPrice(category: auction.category, price: best))
        }
        try open.clear()
      }
    } else {
      // No auction started by now: the waiting bids up to now can never win;
      // the first of those left sets the next cleanup timer.
      let left = try waiting.get().filter { $0.first > timestamp }
      if let first = left.first {
        try waiting.update(left)
        try context.registerEventTimeTimer(first.first)
      } else {
        try waiting.clear()
      }
    }
  }
}

/// q4's average, keyed by category: a running sum and count of winning
/// prices, emitted once when the input ends (a timer at the end of time).
struct AveragePerCategory: KeyedProcessFunction {
  var total: ValueState<Pair<Int64, Int64>>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    total = try context.state(ValueStateDescriptor<Pair<Int64, Int64>>("q4-sum-count"))
  }

  mutating func processElement(
    _ value: WinningPrice, context: KeyedContext<Int64>, out: inout Collector<Q4Result>
  ) throws {
    let previous = try total.value() ?? Pair(0, 0)
    try total.update(Pair(previous.first + value.price, previous.second + 1))
    try context.registerEventTimeTimer(.max)
  }

  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
    out: inout Collector<Q4Result>
  ) throws {
    guard let sum = try total.value(), sum.second > 0 else { return }
    out.emit(Q4Result(category: context.key, avgPrice: sum.first / sum.second))
  }
}
