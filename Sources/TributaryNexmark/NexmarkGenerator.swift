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

  /// How many copies of the shared strings the events use (see
  /// ``EventRandom/copy``): the source sets it to its number of subtasks.
  var stringCopies = Vocabulary.copies

  /// Event time of event `n` in epoch milliseconds (non-decreasing in `n`).
  @inlinable
  public func timestamp(ofEvent n: Int64) -> Int64 {
    configuration.baseTime + n * 1_000 / configuration.firstEventRate
  }

  /// Event number `n`.
  public func event(_ n: Int64) -> NexmarkEvent {
    var random = EventRandom(eventNumber: n, seed: configuration.seed, copies: stringCopies)
    let time = timestamp(ofEvent: n)
    // One division for the position in the 1 : 3 : 46 cycle; every id below
    // is derived from it.
    let position = CyclePosition(n, configuration)
    if position.offset < configuration.personProportion {
      return .person(person(position, time: time, random: &random))
    } else if position.offset < configuration.personProportion + configuration.auctionProportion {
      return .auction(auction(n, position, time: time, random: &random))
    } else {
      return .bid(bid(position, time: time, random: &random))
    }
  }

  // MARK: Ids

  /// The id (from 0) of the last person created at or before event `n`.
  public func lastBase0PersonId(_ n: Int64) -> Int64 {
    lastBase0PersonId(CyclePosition(n, configuration))
  }

  /// The id (from 0) of the last auction created at or before event `n`
  /// (−1 before the first).
  public func lastBase0AuctionId(_ n: Int64) -> Int64 {
    lastBase0AuctionId(CyclePosition(n, configuration))
  }

  /// The id (from 0) of the last person created at or before `position`.
  func lastBase0PersonId(_ position: CyclePosition) -> Int64 {
    let c = configuration
    return position.epoch * c.personProportion + min(position.offset, c.personProportion - 1)
  }

  /// The id (from 0) of the last auction created at or before `position`.
  func lastBase0AuctionId(_ position: CyclePosition) -> Int64 {
    let c = configuration
    var epoch = position.epoch
    var offset = position.offset
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

  /// A random recently active person (from 0), possibly a few ahead of the
  /// last created, `lastPerson`.
  func randomBase0PersonId(lastPerson: Int64, _ random: inout EventRandom) -> Int64 {
    let people = lastPerson + 1
    let active = min(people, configuration.numActivePeople)
    return people - active + random.nextInt64(active + Self.idLead)
  }

  /// A random auction (from 0) among those likely still open, possibly a few
  /// ahead of the last created, `lastAuction`.
  func randomBase0AuctionId(lastAuction last: Int64, _ random: inout EventRandom) -> Int64 {
    let first = max(last - configuration.numInFlightAuctions, 0)
    return first + random.nextInt64(last - first + 1 + Self.idLead)
  }

  // MARK: Records

  func person(_ position: CyclePosition, time: Int64, random: inout EventRandom) -> Person {
    let id = lastBase0PersonId(position) + Self.firstPersonId
    let first = random.nextInt(Vocabulary.firstNames.count)
    let name = Vocabulary.fullNames[
      first * Vocabulary.lastNames.count
        + random.nextInt(Vocabulary.lastNames.count)]
    // Two random strings of up to 6 and 4 letters, "@", ".com": at most 15 bytes.
    let email = String(unsafeUninitializedCapacity: 15) { buffer in
      let base = buffer.baseAddress!
      var length = writeRandomString(&random, maxLength: 7, to: base)
      base[length] = UInt8(ascii: "@")
      length += 1
      length += writeRandomString(&random, maxLength: 5, to: base + length)
      for byte in ".com".utf8 {
        base[length] = byte
        length += 1
      }
      return length
    }
    // Four groups of four digits, zero-padded, separated by spaces.
    let card = String(unsafeUninitializedCapacity: 19) { buffer in
      for group in 0..<4 {
        var value = random.nextInt(10_000)
        for digit in (0..<4).reversed() {
          buffer[group * 5 + digit] = 0x30 + UInt8(value % 10)
          value /= 10
        }
        if group < 3 { buffer[group * 5 + 4] = UInt8(ascii: " ") }
      }
      return 19
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

  func auction(
    _ n: Int64, _ position: CyclePosition, time: Int64, random: inout EventRandom
  ) -> Auction {
    let c = configuration
    let id = lastBase0AuctionId(position) + Self.firstAuctionId
    var seller: Int64
    let lastPerson = lastBase0PersonId(position)
    if random.nextInt(c.hotSellersRatio) > 0 {
      seller = (lastPerson / Self.hotBatch) * Self.hotBatch
    } else {
      seller = randomBase0PersonId(lastPerson: lastPerson, &random)
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

  func bid(_ position: CyclePosition, time: Int64, random: inout EventRandom) -> Bid {
    let c = configuration
    var auction: Int64
    let lastAuction = lastBase0AuctionId(position)
    if random.nextInt(c.hotAuctionRatio) > 0 {
      auction = (lastAuction / Self.hotBatch) * Self.hotBatch
    } else {
      auction = randomBase0AuctionId(lastAuction: lastAuction, &random)
    }
    auction += Self.firstAuctionId
    var bidder: Int64
    let lastPerson = lastBase0PersonId(position)
    if random.nextInt(c.hotBiddersRatio) > 0 {
      // The second person of the batch, so hot bidders are not hot sellers.
      bidder = (lastPerson / Self.hotBatch) * Self.hotBatch + 1
    } else {
      bidder = randomBase0PersonId(lastPerson: lastPerson, &random)
    }
    bidder += Self.firstPersonId
    let price = randomPrice(&random)
    let channel: String
    let url: String
    if random.nextInt(2) > 0 {
      let i = random.nextInt(Vocabulary.hotChannels.count)
      channel = Vocabulary.hotChannels[i]
      url = Vocabulary.hotChannelURL(i, copy: random.copy)
    } else {
      let i = random.nextInt(Vocabulary.channelNames.count)
      channel = Vocabulary.channelNames[i]
      url = Vocabulary.channelURL(i, copy: random.copy)
    }
    let extra = randomExtra(&random, currentSize: 32, average: c.avgBidByteSize)
    return Bid(
      auction: auction, bidder: bidder, price: price, channel: channel, url: url,
      dateTime: time, extra: extra)
  }
}

/// Where an event number falls in the cycle of persons, auctions and bids:
/// `epoch` whole cycles before it, at `offset` within its own.
struct CyclePosition {
  let epoch: Int64
  let offset: Int64

  init(_ n: Int64, _ configuration: NexmarkConfiguration) {
    let total = configuration.totalProportion
    epoch = n / total
    offset = n - epoch * total
  }
}
