import TributaryNexmark

/// The Nexmark queries computed the plainest way over an array of events —
/// loops and dictionaries, single-threaded, no engine — straight from the SQL
/// in Nexmark's `queries/` folder. Rows are the queries' JSON lines.
enum PlainReference {
  static func rows(_ query: NexmarkQuery, _ events: [NexmarkEvent]) -> [String] {
    let persons = events.compactMap(\.person)
    let auctions = events.compactMap(\.auction)
    let bids = events.compactMap(\.bid)
    switch query {
    case .q0:
      return bids.map { NexmarkResult.q0($0).jsonLine }
    case .q1:
      return bids.map {
        NexmarkResult.q1(
          Q1Result(
            auction: $0.auction, bidder: $0.bidder, priceThousandths: $0.price * 908,
            dateTime: $0.dateTime, extra: $0.extra)
        ).jsonLine
      }
    case .q2:
      return bids.filter { $0.auction % 123 == 0 }.map {
        NexmarkResult.q2(Q2Result(auction: $0.auction, price: $0.price)).jsonLine
      }
    case .q3:
      var local: [Int64: Person] = [:]
      for p in persons where ["OR", "ID", "CA"].contains(p.state) { local[p.id] = p }
      var rows: [String] = []
      for a in auctions where a.category == 10 {
        if let p = local[a.seller] {
          rows.append(
            NexmarkResult.q3(Q3Result(name: p.name, city: p.city, state: p.state, id: a.id))
              .jsonLine)
        }
      }
      return rows
    case .q4:
      var bidsOf: [Int64: [Bid]] = [:]
      for b in bids { bidsOf[b.auction, default: []].append(b) }
      var sum: [Int64: Int64] = [:]
      var count: [Int64: Int64] = [:]
      for a in auctions {
        var best: Int64?
        for b in bidsOf[a.id] ?? [] where b.dateTime >= a.dateTime && b.dateTime <= a.expires {
          best = max(best ?? .min, b.price)
        }
        if let best {
          sum[a.category, default: 0] += best
          count[a.category, default: 0] += 1
        }
      }
      return sum.keys.map {
        NexmarkResult.q4(Q4Result(category: $0, avgPrice: sum[$0]! / count[$0]!)).jsonLine
      }
    case .q5:
      var counts: [Int64: [Int64: Int64]] = [:]  // window start → auction → bids
      for b in bids {
        var start = b.dateTime - b.dateTime % 2_000
        while start > b.dateTime - 10_000 {
          counts[start, default: [:]][b.auction, default: 0] += 1
          start -= 2_000
        }
      }
      var rows: [String] = []
      for (start, perAuction) in counts {
        let most = perAuction.values.max()!
        for (auction, num) in perAuction where num == most {
          rows.append(
            NexmarkResult.q5(Q5Result(auction: auction, num: num, windowStart: start)).jsonLine)
        }
      }
      return rows
    case .q7:
      // B1: TUMBLE(bid, 10 s) GROUP BY window → MAX(price), keyed by window_end.
      var maxPrice: [Int64: Int64] = [:]
      for b in bids {
        let end = b.dateTime - b.dateTime % 10_000 + 10_000
        maxPrice[end] = max(maxPrice[end] ?? .min, b.price)
      }
      // bid B JOIN B1 ON B.price = B1.maxprice
      // WHERE B.dateTime BETWEEN B1.dateTime − 10 s AND B1.dateTime (both inclusive).
      var bidsWithPrice: [Int64: [Bid]] = [:]
      for b in bids { bidsWithPrice[b.price, default: []].append(b) }
      var rows: [String] = []
      for (end, price) in maxPrice {
        for b in bidsWithPrice[price] ?? [] where b.dateTime >= end - 10_000 && b.dateTime <= end {
          rows.append(
            NexmarkResult.q7(
              Q7Result(
                auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime,
                extra: b.extra)
            ).jsonLine)
        }
      }
      return rows
    case .q8:
      struct Seller: Hashable {
        var id: Int64
        var start: Int64
      }
      var sold = Set<Seller>()
      for a in auctions {
        sold.insert(Seller(id: a.seller, start: a.dateTime - a.dateTime % 10_000))
      }
      var rows: [String] = []
      for p in persons {
        let start = p.dateTime - p.dateTime % 10_000
        if sold.contains(Seller(id: p.id, start: start)) {
          rows.append(
            NexmarkResult.q8(Q8Result(id: p.id, name: p.name, windowStart: start)).jsonLine)
        }
      }
      return rows
    }
  }
}
