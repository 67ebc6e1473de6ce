/// Generates the Nexmark event stream: event `n` (0-based) is a pure function
/// of `n` and the configuration. Its kind follows the 1 : 3 : 46 cycle of event
/// numbers, its ids are derived from `n` as in Nexmark's generator (persons
/// and auctions numbered in order of creation from 1000; hot sellers, bidders
/// and auctions every 100th), its time is `baseTime + n * 1000 / firstEventRate`,
/// and every random choice comes from a generator seeded by `n`. So the N
/// events are one stream however many subtasks produce them.
public struct NexmarkGenerator: Sendable {
  /// The configuration events are generated with.
  public let configuration: NexmarkConfiguration

  /// First person id (Nexmark's `FIRST_PERSON_ID`).
  public static let firstPersonId: Int64 = 1_000
  /// First auction id (Nexmark's `FIRST_AUCTION_ID`).
  public static let firstAuctionId: Int64 = 1_000
  /// First category id; categories are 10 to 14.
  public static let firstCategoryId: Int64 = 10
  /// Number of categories.
  public static let categories = 5
  /// Hot sellers, bidders and auctions are the first of each batch of this many.
  static let hotBatch: Int64 = 100
  /// Ids a random bidder, seller or auction may run ahead of the last created one.
  static let idLead: Int64 = 10

  /// A generator for `configuration`; traps with the validation message when
  /// it is invalid (check with ``NexmarkConfiguration/validate()`` first).
  public init(configuration: NexmarkConfiguration = NexmarkConfiguration()) {
    do {
      try configuration.validate()
    } catch {
      preconditionFailure("\(error)")
    }
    self.configuration = configuration
  }

  /// Event time of event `n` in epoch milliseconds (non-decreasing in `n`).
  @inlinable
  public func timestamp(ofEvent n: Int64) -> Int64 {
    configuration.baseTime + n * 1_000 / configuration.firstEventRate
  }

  /// Event number `n`.
  public func event(_ n: Int64) -> NexmarkEvent {
    var random = EventRandom(eventNumber: n, seed: configuration.seed)
    let time = timestamp(ofEvent: n)
    let offset = n % configuration.totalProportion
    if offset < configuration.personProportion {
      return .person(person(n, time: time, random: &random))
    } else if offset < configuration.personProportion + configuration.auctionProportion {
      return .auction(auction(n, time: time, random: &random))
    } else {
      return .bid(bid(n, time: time, random: &random))
    }
  }

  // MARK: Ids

  /// The id (from 0) of the last person created at or before event `n`.
  public func lastBase0PersonId(_ n: Int64) -> Int64 {
    let c = configuration
    let epoch = n / c.totalProportion
    let offset = min(n % c.totalProportion, c.personProportion - 1)
    return epoch * c.personProportion + offset
  }

  /// The id (from 0) of the last auction created at or before event `n`
  /// (−1 before the first).
  public func lastBase0AuctionId(_ n: Int64) -> Int64 {
    let c = configuration
    var epoch = n / c.totalProportion
    var offset = n % c.totalProportion
    if offset < c.personProportion {
      epoch -= 1
      offset = c.auctionProportion - 1
    } else if offset >= c.personProportion + c.auctionProportion {
      offset = c.auctionProportion - 1
    } else {
      offset -= c.personProportion
    }
    return epoch * c.auctionProportion + offset
  }

  /// A random recently active person (from 0), possibly a few ahead of the last created.
  func randomBase0PersonId(_ n: Int64, _ random: inout EventRandom) -> Int64 {
    let people = lastBase0PersonId(n) + 1
    let active = min(people, configuration.numActivePeople)
    return people - active + random.nextInt64(active + Self.idLead)
  }

  /// A random auction (from 0) among those likely still open, possibly a few ahead.
  func randomBase0AuctionId(_ n: Int64, _ random: inout EventRandom) -> Int64 {
    let last = lastBase0AuctionId(n)
    let first = max(last - configuration.numInFlightAuctions, 0)
    return first + random.nextInt64(last - first + 1 + Self.idLead)
  }

  // MARK: Records

  func person(_ n: Int64, time: Int64, random: inout EventRandom) -> Person {
    let id = lastBase0PersonId(n) + Self.firstPersonId
    let name =
      Vocabulary.firstNames[random.nextInt(Vocabulary.firstNames.count)] + " "
      + Vocabulary.lastNames[random.nextInt(Vocabulary.lastNames.count)]
    let email =
      randomString(&random, maxLength: 7) + "@" + randomString(&random, maxLength: 5)
      + ".com"
    var card = ""
    for group in 0..<4 {
      if group > 0 { card += " " }
      let digits = String(random.nextInt(10_000))
      card += String(repeating: "0", count: 4 - digits.utf8.count) + digits
    }
    let city = Vocabulary.cities[random.nextInt(Vocabulary.cities.count)]
    let state = Vocabulary.states[random.nextInt(Vocabulary.states.count)]
    let size =
      8 + name.utf8.count + email.utf8.count + card.utf8.count + city.utf8.count
      + state.utf8.count
    let extra = randomExtra(&random, currentSize: size, average: configuration.avgPersonByteSize)
    return Person(
      id: id, name: name, emailAddress: email, creditCard: card, city: city, state: state,
      dateTime: time, extra: extra)
  }

  func auction(_ n: Int64, time: Int64, random: inout EventRandom) -> Auction {
    let c = configuration
    let id = lastBase0AuctionId(n) + Self.firstAuctionId
    var seller: Int64
    if random.nextInt(c.hotSellersRatio) > 0 {
      seller = (lastBase0PersonId(n) / Self.hotBatch) * Self.hotBatch
    } else {
      seller = randomBase0PersonId(n, &random)
    }
    seller += Self.firstPersonId
    let category = Self.firstCategoryId + Int64(random.nextInt(Self.categories))
    let initialBid = randomPrice(&random)
    // Auctions last on average as long as it takes to create numInFlightAuctions more.
    let eventsForAuctions = (c.numInFlightAuctions * c.totalProportion) / c.auctionProportion
    let horizon = timestamp(ofEvent: n + eventsForAuctions) - time
    let expires = time + 1 + random.nextInt64(max(horizon * 2, 1))
    let itemName = randomString(&random, maxLength: 20)
    let description = randomString(&random, maxLength: 100)
    let reserve = initialBid + randomPrice(&random)
    let size = 8 + itemName.utf8.count + description.utf8.count + 40
    let extra = randomExtra(&random, currentSize: size, average: c.avgAuctionByteSize)
    return Auction(
      id: id, itemName: itemName, description: description, initialBid: initialBid,
      reserve: reserve, dateTime: time, expires: expires, seller: seller, category: category,
      extra: extra)
  }

  func bid(_ n: Int64, time: Int64, random: inout EventRandom) -> Bid {
    let c = configuration
    var auction: Int64
    if random.nextInt(c.hotAuctionRatio) > 0 {
      auction = (lastBase0AuctionId(n) / Self.hotBatch) * Self.hotBatch
    } else {
      auction = randomBase0AuctionId(n, &random)
    }
    auction += Self.firstAuctionId
    var bidder: Int64
    if random.nextInt(c.hotBiddersRatio) > 0 {
      // The second person of the batch, so hot bidders are not hot sellers.
      bidder = (lastBase0PersonId(n) / Self.hotBatch) * Self.hotBatch + 1
    } else {
      bidder = randomBase0PersonId(n, &random)
    }
    bidder += Self.firstPersonId
    let price = randomPrice(&random)
    let channel: String
    let url: String
    if random.nextInt(2) > 0 {
      let i = random.nextInt(Vocabulary.hotChannels.count)
      channel = Vocabulary.hotChannels[i]
      url = Vocabulary.hotChannelURLs[i]
    } else {
      let i = random.nextInt(Vocabulary.channelURLs.count)
      channel = Vocabulary.channelNames[i]
      url = Vocabulary.channelURLs[i]
    }
    let extra = randomExtra(&random, currentSize: 32, average: c.avgBidByteSize)
    return Bid(
      auction: auction, bidder: bidder, price: price, channel: channel, url: url,
      dateTime: time, extra: extra)
  }
}
