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
    }
  }
}
