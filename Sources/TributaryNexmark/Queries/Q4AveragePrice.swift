import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q4, average price per category: for every auction, the highest
  /// bid placed within its lifetime (`auction.dateTime ≤ bid.dateTime ≤
  /// expires`), then per category the average of those winning prices
  /// (truncated to an integer, as Flink's `AVG` on `BIGINT`), emitted once per
  /// category with its final value at the end of input.
  public func q4() -> DataStream<Q4Result> {
    auctions.keyBy { $0.id }.connect(bids.keyBy { $0.auction })
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

/// What q4 keeps of an open auction: its lifetime, category and best bid so far.
struct OpenAuction: Sendable, BinaryCodable {
  var dateTime: Int64
  var expires: Int64
  var category: Int64
  /// The highest price within the lifetime so far, `nil` before the first such bid.
  var best: Int64?

  func encode(to writer: inout BinaryWriter) {
    dateTime.encode(to: &writer)
    expires.encode(to: &writer)
    category.encode(to: &writer)
    best.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> OpenAuction {
    OpenAuction(
      dateTime: try .decode(from: &reader), expires: try .decode(from: &reader),
      category: try .decode(from: &reader), best: try .decode(from: &reader))
  }
}

/// q4's join, keyed by auction id. Bids that arrive before their auction wait
/// (as `Pair(dateTime, price)`) until it arrives or until the watermark passes
/// their time (then no auction can still start before them). The auction's
/// highest bid is emitted when the watermark passes `expires` (at the latest
/// at end of input); the state is then dropped.
struct WinningBid: KeyedCoProcessFunction {
  var open: ValueState<OpenAuction>!
  var waiting: ListState<Pair<Int64, Int64>>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    open = try context.state(ValueStateDescriptor<OpenAuction>("q4-auction"))
    waiting = try context.state(ListStateDescriptor<Pair<Int64, Int64>>("q4-waiting-bids"))
  }

  mutating func processElement1(
    _ value: Auction, context: KeyedContext<Int64>, out: inout Collector<WinningPrice>
  ) throws {
    var auction = OpenAuction(
      dateTime: value.dateTime, expires: value.expires, category: value.category, best: nil)
    for bid in try waiting.get() where bid.first >= value.dateTime && bid.first <= value.expires {
      auction.best = max(auction.best ?? .min, bid.second)
    }
    try waiting.clear()
    try open.update(auction)
    try context.registerEventTimeTimer(value.expires)
  }

  mutating func processElement2(
    _ value: Bid, context: KeyedContext<Int64>, out: inout Collector<WinningPrice>
  ) throws {
    if var auction = try open.value() {
      guard value.dateTime >= auction.dateTime && value.dateTime <= auction.expires,
        value.price > auction.best ?? .min
      else { return }
      auction.best = value.price
      try open.update(auction)
    } else {
      try waiting.add(Pair(value.dateTime, value.price))
      try context.registerEventTimeTimer(value.dateTime)
    }
  }

  mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
    out: inout Collector<WinningPrice>
  ) throws {
    if let auction = try open.value() {
      guard timestamp >= auction.expires else { return }
      if let best = auction.best { out.emit(WinningPrice(category: auction.category, price: best)) }
      try open.clear()
    } else {
      // No auction started by now: the waiting bids up to now can never win.
      let left = try waiting.get().filter { $0.first > timestamp }
      if left.isEmpty { try waiting.clear() } else { try waiting.update(left) }
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
