import Foundation
import Testing
import Tributary
import TributaryNexmark

@Suite struct NexmarkGeneratorTests {
  let generator = NexmarkGenerator()

  @Test func proportionsFollowTheOneThreeFortySixCycle() {
    var kinds = [0, 0, 0]
    for n in 0..<50_000 {
      switch generator.event(Int64(n)) {
      case .person: kinds[0] += 1
      case .auction: kinds[1] += 1
      case .bid: kinds[2] += 1
      }
    }
    #expect(kinds == [1_000, 3_000, 46_000])
    // Within one cycle: event 0 a person, 1 to 3 auctions, 4 to 49 bids.
    #expect(generator.event(50).person != nil)
    #expect((51...53).allSatisfy { generator.event(Int64($0)).auction != nil })
    #expect((54...99).allSatisfy { generator.event(Int64($0)).bid != nil })
  }

  /// Item names and descriptions are random text as Nexmark's generator
  /// draws it: lowercase letters, one character in 13 a space, no leading or
  /// trailing space, shorter than the maximum (20 and 100).
  @Test func randomTextIsLettersAndOneSpaceInThirteen() {
    var counts = [UInt8: Int]()
    var characters = 0
    for n in 0..<100_000 {
      guard let auction = generator.event(Int64(n)).auction else { continue }
      for (text, maxLength) in [(auction.itemName, 20), (auction.description, 100)] {
        let bytes = Array(text.utf8)
        #expect(!bytes.isEmpty && bytes.count < maxLength)
        #expect(bytes.first != 0x20 && bytes.last != 0x20, "\(text)")
        for byte in bytes { counts[byte, default: 0] += 1 }
        characters += bytes.count
      }
    }
    let letters = characters - counts[0x20, default: 0]
    #expect(Set(counts.keys).subtracting([0x20]) == Set(0x61...0x7A))
    // Trimming drops a few spaces at the ends: slightly under 1 in 13 inside.
    let spaceShare = Double(counts[0x20, default: 0]) / Double(characters)
    #expect(spaceShare > 0.065 && spaceShare < 0.0775, "space share \(spaceShare)")
    for letter in UInt8(0x61)...0x7A {
      let share = Double(counts[letter, default: 0]) / Double(letters)
      #expect(abs(share - 1.0 / 26) < 0.1 / 26, "letter \(letter): \(share)")
    }
  }

  @Test func idsAreAssignedInOrderOfCreation() {
    var nextPerson: Int64 = 1_000
    var nextAuction: Int64 = 1_000
    for n in 0..<20_000 {
      switch generator.event(Int64(n)) {
      case .person(let p):
        #expect(p.id == nextPerson)
        nextPerson += 1
        #expect(["AZ", "CA", "ID", "OR", "WA", "WY"].contains(p.state))
      case .auction(let a):
        #expect(a.id == nextAuction)
        nextAuction += 1
        #expect((10...14).contains(a.category))
        #expect(a.seller >= 1_000 && a.seller < nextPerson + 10)
        #expect(a.expires > a.dateTime)
        #expect(a.reserve >= a.initialBid)
      case .bid(let b):
        // A bid is on an auction created already or at most 10 ahead.
        #expect(b.auction >= 1_000 && b.auction < nextAuction + 10)
        #expect(b.bidder >= 1_000 && b.bidder < nextPerson + 10)
        #expect(b.price >= 100 && b.price <= 100_000_000)
      }
    }
  }

  @Test func hotAuctionsAndBiddersDominate() {
    // Half the bids go to the first auction of the last batch of 100, three
    // quarters of the bids come from the second person of the last batch of 100.
    var hotAuction = 0
    var hotBidder = 0
    var bids = 0
    for n in 0..<100_000 {
      guard let b = generator.event(Int64(n)).bid else { continue }
      bids += 1
      if (b.auction - 1_000) % 100 == 0 { hotAuction += 1 }
      if (b.bidder - 1_000) % 100 == 1 { hotBidder += 1 }
    }
    #expect(abs(Double(hotAuction) / Double(bids) - 0.5) < 0.02)
    #expect(abs(Double(hotBidder) / Double(bids) - 0.75) < 0.02)
  }

  @Test func timestampsFollowTheFirstEventRate() {
    #expect(generator.timestamp(ofEvent: 0) == 1_436_918_400_000)
    #expect(generator.timestamp(ofEvent: 10_000_000) == 1_436_918_401_000)
    var slow = NexmarkConfiguration()
    slow.firstEventRate = 1_000
    #expect(NexmarkGenerator(configuration: slow).event(2_500).dateTime == 1_436_918_402_500)
  }

  @Test func eventsAreAFunctionOfTheirNumber() {
    let again = NexmarkGenerator()
    for n in [0, 1, 7, 4_999, 123_456] {
      #expect(generator.event(Int64(n)) == again.event(Int64(n)))
    }
    // Each event stands alone: generating others first does not change it.
    _ = (0..<100).map { again.event(Int64($0)) }
    #expect(generator.event(50) == again.event(50))
    // Extra padding brings bids to about 100 bytes on average.
    let sizes = (0..<5_000).compactMap { generator.event(Int64($0)).bid }.map {
      32 + $0.extra.utf8.count
    }
    #expect(abs(Double(sizes.reduce(0, +)) / Double(sizes.count) - 100) < 3)
  }

  @Test func paddingIsLowercaseLettersOfTheDrawnLengths() {
    // A bid is 32 bytes before padding and 100 on average: 68 ± 14 letters.
    var bidExtras = Set<String>()
    var lengths = Set<Int>()
    for n in 0..<20_000 {
      switch generator.event(Int64(n)) {
      case .bid(let bid):
        #expect((54..<82).contains(bid.extra.utf8.count))
        #expect(bid.extra.utf8.allSatisfy { (0x61...0x7A).contains($0) })
        bidExtras.insert(bid.extra)
        lengths.insert(bid.extra.utf8.count)
      case .auction(let auction):
        #expect(auction.extra.utf8.allSatisfy { (0x61...0x7A).contains($0) })
        #expect(!auction.extra.isEmpty)
      case .person(let person):
        #expect(person.extra.utf8.allSatisfy { (0x61...0x7A).contains($0) })
        #expect(!person.extra.isEmpty)
      }
    }
    // Every length of the range occurs, each with several different paddings.
    #expect(lengths.count == 28)
    #expect(bidExtras.count > 28 * 8)
    // Events use eight copies of the shared strings in turn (one per event
    // number mod 8, so subtasks do not share them); every copy holds the
    // same paddings: 16 per length, not 16 per length and copy.
    let perLength = Dictionary(grouping: bidExtras, by: { $0.utf8.count })
    #expect(perLength.values.allSatisfy { $0.count <= 16 })
  }

  @Test func aChannelHasOneURLWhicheverCopyTheEventUses() {
    var urls: [String: Set<String>] = [:]
    for n in 0..<20_000 {
      if let bid = generator.event(Int64(n)).bid { urls[bid.channel, default: []].insert(bid.url) }
    }
    #expect(urls["Google"]?.count == 1)
    #expect(urls.values.allSatisfy { $0.count == 1 })
  }

  @Test(arguments: [1, 2, 4])
  func theSourceProducesTheSameEventsAtEveryParallelism(parallelism: Int) async throws {
    let count = 20_000
    let env = StreamEnvironment(parallelism: parallelism)
    let collected = env.nexmark(events: count).collect()
    _ = try await env.execute()
    var produced: [NexmarkEvent: Int] = [:]
    for event in collected.values { produced[event, default: 0] += 1 }
    var expected: [NexmarkEvent: Int] = [:]
    for n in 0..<count { expected[generator.event(Int64(n)), default: 0] += 1 }
    #expect(produced == expected)
  }

  @Test func eventsAsJSONLinesHaveNexmarksFieldNames() throws {
    for n in [0, 1, 4] {
      let line = generator.event(Int64(n)).jsonLine
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let expected: Set<String> =
        switch n {
        case 0:
          [
            "type", "id", "name", "emailAddress", "creditCard", "city", "state", "dateTime",
            "extra",
          ]
        case 1:
          [
            "type", "id", "itemName", "description", "initialBid", "reserve", "dateTime",
            "expires", "seller", "category", "extra",
          ]
        default: ["type", "auction", "bidder", "price", "channel", "url", "dateTime", "extra"]
        }
      #expect(Set(object.keys) == expected)
    }
  }

  @Test func invalidConfigurationsSayWhichField() {
    var configuration = NexmarkConfiguration()
    configuration.firstEventRate = 0
    #expect(throws: NexmarkError.invalidConfiguration("firstEventRate must be positive, got 0")) {
      try configuration.validate()
    }
    #expect(throws: NexmarkError.unknownQuery("q6")) { try NexmarkQuery(named: "q6") }
  }
}
