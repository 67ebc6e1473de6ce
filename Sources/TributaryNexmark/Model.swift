import Tributary

/// A new user of the auction site (Nexmark's `person` table). Every person id
/// occurs once in a generated stream.
public struct Person: Sendable, Hashable, BinaryCodable {
  /// Unique person id (from 1000 up).
  public var id: Int64
  /// First and last name separated by a space.
  public var name: String
  /// A made-up e-mail address.
  public var emailAddress: String
  /// Four groups of four digits separated by spaces.
  public var creditCard: String
  /// A US city from the generator's list.
  public var city: String
  /// A US state from the generator's list (AZ, CA, ID, OR, WA, WY).
  public var state: String
  /// Event time in epoch milliseconds.
  public var dateTime: Int64
  /// Padding that brings the record to the configured average size.
  public var extra: String

  /// A person with every field given.
  public init(
    id: Int64, name: String, emailAddress: String, creditCard: String, city: String,
    state: String, dateTime: Int64, extra: String
  ) {
    self.id = id
    self.name = name
    self.emailAddress = emailAddress
    self.creditCard = creditCard
    self.city = city
    self.state = state
    self.dateTime = dateTime
    self.extra = extra
  }

  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    id.encode(to: &writer)
    name.encode(to: &writer)
    emailAddress.encode(to: &writer)
    creditCard.encode(to: &writer)
    city.encode(to: &writer)
    state.encode(to: &writer)
    dateTime.encode(to: &writer)
    extra.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Person {
    Person(
      id: try .decode(from: &reader), name: try .decode(from: &reader),
      emailAddress: try .decode(from: &reader), creditCard: try .decode(from: &reader),
      city: try .decode(from: &reader), state: try .decode(from: &reader),
      dateTime: try .decode(from: &reader), extra: try .decode(from: &reader))
  }
}

/// An item put up for auction (Nexmark's `auction` table). Every auction id
/// occurs once in a generated stream.
public struct Auction: Sendable, Hashable, BinaryCodable {
  /// Unique auction id (from 1000 up).
  public var id: Int64
  /// A short random name.
  public var itemName: String
  /// A longer random description.
  public var description: String
  /// The opening price.
  public var initialBid: Int64
  /// The reserve price (at least `initialBid`).
  public var reserve: Int64
  /// Event time in epoch milliseconds: when the auction opened.
  public var dateTime: Int64
  /// When the auction closes, in epoch milliseconds (after `dateTime`).
  public var expires: Int64
  /// The selling person's id.
  public var seller: Int64
  /// Category id, 10 to 14.
  public var category: Int64
  /// Padding that brings the record to the configured average size.
  public var extra: String

  /// An auction with every field given.
  public init(
    id: Int64, itemName: String, description: String, initialBid: Int64, reserve: Int64,
    dateTime: Int64, expires: Int64, seller: Int64, category: Int64, extra: String
  ) {
    self.id = id
    self.itemName = itemName
    self.description = description
    self.initialBid = initialBid
    self.reserve = reserve
    self.dateTime = dateTime
    self.expires = expires
    self.seller = seller
    self.category = category
    self.extra = extra
  }

  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    id.encode(to: &writer)
    itemName.encode(to: &writer)
    description.encode(to: &writer)
    initialBid.encode(to: &writer)
    reserve.encode(to: &writer)
    dateTime.encode(to: &writer)
    expires.encode(to: &writer)
    seller.encode(to: &writer)
    category.encode(to: &writer)
    extra.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Auction {
    Auction(
      id: try .decode(from: &reader), itemName: try .decode(from: &reader),
      description: try .decode(from: &reader), initialBid: try .decode(from: &reader),
      reserve: try .decode(from: &reader), dateTime: try .decode(from: &reader),
      expires: try .decode(from: &reader), seller: try .decode(from: &reader),
      category: try .decode(from: &reader), extra: try .decode(from: &reader))
  }
}

/// A bid on an auction (Nexmark's `bid` table).
public struct Bid: Sendable, Hashable, BinaryCodable {
  /// The auction bid on (may be one created shortly after the bid, as in Nexmark).
  public var auction: Int64
  /// The bidding person's id.
  public var bidder: Int64
  /// The price offered, in cents.
  public var price: Int64
  /// Where the bid came from: one of four hot channels or `channel-N`.
  public var channel: String
  /// The URL of the channel's page.
  public var url: String
  /// Event time in epoch milliseconds.
  public var dateTime: Int64
  /// Padding that brings the record to the configured average size.
  public var extra: String

  /// A bid with every field given.
  public init(
    auction: Int64, bidder: Int64, price: Int64, channel: String, url: String, dateTime: Int64,
    extra: String
  ) {
    self.auction = auction
    self.bidder = bidder
    self.price = price
    self.channel = channel
    self.url = url
    self.dateTime = dateTime
    self.extra = extra
  }

  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    auction.encode(to: &writer)
    bidder.encode(to: &writer)
    price.encode(to: &writer)
    channel.encode(to: &writer)
    url.encode(to: &writer)
    dateTime.encode(to: &writer)
    extra.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Bid {
    Bid(
      auction: try .decode(from: &reader), bidder: try .decode(from: &reader),
      price: try .decode(from: &reader), channel: try .decode(from: &reader),
      url: try .decode(from: &reader), dateTime: try .decode(from: &reader),
      extra: try .decode(from: &reader))
  }
}

/// One event of the Nexmark stream: a new person, a new auction or a bid.
public enum NexmarkEvent: Sendable, Hashable, BinaryCodable {
  /// A new person.
  case person(Person)
  /// A new auction.
  case auction(Auction)
  /// A bid.
  case bid(Bid)

  /// The event's time in epoch milliseconds (its `dateTime`).
  @inlinable
  public var dateTime: Int64 {
    switch self {
    case .person(let p): p.dateTime
    case .auction(let a): a.dateTime
    case .bid(let b): b.dateTime
    }
  }

  /// The person, if this event is one.
  @inlinable
  public var person: Person? { if case .person(let p) = self { p } else { nil } }
  /// The auction, if this event is one.
  @inlinable
  public var auction: Auction? { if case .auction(let a) = self { a } else { nil } }
  /// The bid, if this event is one.
  @inlinable
  public var bid: Bid? { if case .bid(let b) = self { b } else { nil } }

  /// Writes a tag byte (0 person, 1 auction, 2 bid) and the record.
  public func encode(to writer: inout BinaryWriter) {
    switch self {
    case .person(let p):
      writer.write(0)
      p.encode(to: &writer)
    case .auction(let a):
      writer.write(1)
      a.encode(to: &writer)
    case .bid(let b):
      writer.write(2)
      b.encode(to: &writer)
    }
  }

  /// Reads what ``encode(to:)`` wrote; throws on an unknown tag.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> NexmarkEvent {
    let position = reader.position
    switch try reader.readByte(for: "NexmarkEvent") {
    case 0: return .person(try .decode(from: &reader))
    case 1: return .auction(try .decode(from: &reader))
    case 2: return .bid(try .decode(from: &reader))
    case let tag:
      throw CodecError.invalid(
        type: "NexmarkEvent", reason: "unknown tag \(tag) at byte \(position)")
    }
  }
}
