import Tributary

/// q1's row: a bid with its price converted to euros (`price * 0.908`), kept
/// exactly as thousandths of a cent.
public struct Q1Result: Sendable, Hashable {
  /// The auction bid on.
  public var auction: Int64
  /// The bidder.
  public var bidder: Int64
  /// `price * 908`: the converted price in thousandths.
  public var priceThousandths: Int64
  /// The bid's event time.
  public var dateTime: Int64
  /// The bid's padding.
  public var extra: String

  /// The converted price with three decimals, as Flink's `DECIMAL(23, 3)` prints it.
  public var priceText: String {
    let fraction = String(priceThousandths % 1_000)
    return "\(priceThousandths / 1_000)." + String(repeating: "0", count: 3 - fraction.count)
      + fraction
  }

  /// A row with every field given.
  public init(
    auction: Int64, bidder: Int64, priceThousandths: Int64, dateTime: Int64, extra: String
  ) {
    self.auction = auction
    self.bidder = bidder
    self.priceThousandths = priceThousandths
    self.dateTime = dateTime
    self.extra = extra
  }
}

/// q2's row: a bid on an auction whose id is a multiple of 123.
public struct Q2Result: Sendable, Hashable {
  /// The auction bid on.
  public var auction: Int64
  /// The price offered.
  public var price: Int64

  /// A row with every field given.
  public init(auction: Int64, price: Int64) {
    self.auction = auction
    self.price = price
  }
}

/// q3's row: a category-10 auction by a seller living in OR, ID or CA.
public struct Q3Result: Sendable, Hashable {
  /// The seller's name.
  public var name: String
  /// The seller's city.
  public var city: String
  /// The seller's state.
  public var state: String
  /// The auction's id.
  public var id: Int64

  /// A row with every field given.
  public init(name: String, city: String, state: String, id: Int64) {
    self.name = name
    self.city = city
    self.state = state
    self.id = id
  }
}

/// q4's row: the average winning price of a category (final at end of input).
public struct Q4Result: Sendable, Hashable {
  /// The category, 10 to 14.
  public var category: Int64
  /// The average over the category's auctions of their highest bid in the
  /// auction's lifetime, truncated to an integer as Flink's `AVG` on `BIGINT`.
  public var avgPrice: Int64

  /// A row with every field given.
  public init(category: Int64, avgPrice: Int64) {
    self.category = category
    self.avgPrice = avgPrice
  }
}

/// q5's row: an auction with the most bids in one hopping window (ties all kept).
public struct Q5Result: Sendable, Hashable {
  /// The auction.
  public var auction: Int64
  /// Its number of bids in the window.
  public var num: Int64
  /// The window's start in epoch milliseconds (windows are 10 s, every 2 s).
  public var windowStart: Int64

  /// A row with every field given.
  public init(auction: Int64, num: Int64, windowStart: Int64) {
    self.auction = auction
    self.num = num
    self.windowStart = windowStart
  }
}

/// q7's row: a bid with the highest price of its 10 s tumbling window.
public struct Q7Result: Sendable, Hashable {
  /// The auction bid on.
  public var auction: Int64
  /// The price: the window's maximum.
  public var price: Int64
  /// The bidder.
  public var bidder: Int64
  /// The bid's event time.
  public var dateTime: Int64
  /// The bid's padding.
  public var extra: String

  /// A row with every field given.
  public init(auction: Int64, price: Int64, bidder: Int64, dateTime: Int64, extra: String) {
    self.auction = auction
    self.price = price
    self.bidder = bidder
    self.dateTime = dateTime
    self.extra = extra
  }
}

/// q8's row: a person who created an auction in the 10 s tumbling window they registered in.
public struct Q8Result: Sendable, Hashable {
  /// The person's id.
  public var id: Int64
  /// The person's name.
  public var name: String
  /// The window's start in epoch milliseconds.
  public var windowStart: Int64

  /// A row with every field given.
  public init(id: Int64, name: String, windowStart: Int64) {
    self.id = id
    self.name = name
    self.windowStart = windowStart
  }
}

/// A row of any query's result, as written by `--results-out`.
public enum NexmarkResult: Sendable, Hashable {
  /// q0: the bid itself.
  case q0(Bid)
  /// q1.
  case q1(Q1Result)
  /// q2.
  case q2(Q2Result)
  /// q3.
  case q3(Q3Result)
  /// q4.
  case q4(Q4Result)
  /// q5.
  case q5(Q5Result)
  /// q7.
  case q7(Q7Result)
  /// q8.
  case q8(Q8Result)

  /// The row as one JSON object with the query's fields (no newline): q0
  /// `auction, bidder, price, dateTime, extra`; q1 the same with `price` a
  /// string with three decimals; q2 `auction, price`; q3 `name, city, state, id`;
  /// q4 `category, avg_price`; q5 `auction, num, window_start`; q7
  /// `auction, price, bidder, dateTime, extra`; q8 `id, name, window_start`.
  public var jsonLine: String {
    switch self {
    case .q0(let b):
      JSONText.object([
        "auction": "\(b.auction)", "bidder": "\(b.bidder)", "price": "\(b.price)",
        "dateTime": "\(b.dateTime)", "extra": JSONText.quoted(b.extra),
      ])
    case .q1(let r):
      JSONText.object([
        "auction": "\(r.auction)", "bidder": "\(r.bidder)",
        "price": JSONText.quoted(r.priceText), "dateTime": "\(r.dateTime)",
        "extra": JSONText.quoted(r.extra),
      ])
    case .q2(let r):
      JSONText.object(["auction": "\(r.auction)", "price": "\(r.price)"])
    case .q3(let r):
      JSONText.object([
        "name": JSONText.quoted(r.name), "city": JSONText.quoted(r.city),
        "state": JSONText.quoted(r.state), "id": "\(r.id)",
      ])
    case .q4(let r):
      JSONText.object(["category": "\(r.category)", "avg_price": "\(r.avgPrice)"])
    case .q5(let r):
      JSONText.object([
        "auction": "\(r.auction)", "num": "\(r.num)", "window_start": "\(r.windowStart)",
      ])
    case .q7(let r):
      JSONText.object([
        "auction": "\(r.auction)", "price": "\(r.price)", "bidder": "\(r.bidder)",
        "dateTime": "\(r.dateTime)", "extra": JSONText.quoted(r.extra),
      ])
    case .q8(let r):
      JSONText.object([
        "id": "\(r.id)", "name": JSONText.quoted(r.name), "window_start": "\(r.windowStart)",
      ])
    }
  }
}

/// The Nexmark queries Tributary implements, by their names in Nexmark.
public enum NexmarkQuery: String, Sendable, CaseIterable {
  /// Pass-through of bids.
  case q0
  /// Currency conversion.
  case q1
  /// Selection.
  case q2
  /// Local item suggestion (join).
  case q3
  /// Average winning price per category.
  case q4
  /// Hot items (hopping windows).
  case q5
  /// Highest bid per tumbling window.
  case q7
  /// New users who sold in their first window (window join).
  case q8

  /// The query named `name` (`q0` … `q8`); throws ``NexmarkError/unknownQuery(_:)``.
  public init(named name: String) throws(NexmarkError) {
    guard let query = NexmarkQuery(rawValue: name.lowercased()) else {
      throw .unknownQuery(name)
    }
    self = query
  }

  /// This query over `events`, its rows wrapped in ``NexmarkResult``.
  public func results(of events: DataStream<NexmarkEvent>) -> DataStream<NexmarkResult> {
    switch self {
    case .q0: events.q0().map(name: "Q0Rows") { .q0($0) }
    case .q1: events.q1().map(name: "Q1Rows") { .q1($0) }
    case .q2: events.q2().map(name: "Q2Rows") { .q2($0) }
    case .q3: events.q3().map(name: "Q3Rows") { .q3($0) }
    case .q4: events.q4().map(name: "Q4Rows") { .q4($0) }
    case .q5: events.q5().map(name: "Q5Rows") { .q5($0) }
    case .q7: events.q7().map(name: "Q7Rows") { .q7($0) }
    case .q8: events.q8().map(name: "Q8Rows") { .q8($0) }
    }
  }
}
