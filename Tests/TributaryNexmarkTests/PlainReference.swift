import TributaryNexmark

/// The Nexmark queries computed the plainest way over an array of events —
/// loops and dictionaries, single-threaded, no engine — straight from the SQL
/// in Nexmark's `queries/` folder. Rows are the queries' JSON lines.
enum PlainReference {
  static func rows(_ query: NexmarkQuery, _ events: [NexmarkEvent]) -> [String] {
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
    }
  }
}
