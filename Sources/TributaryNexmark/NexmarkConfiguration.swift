/// The parameters of the Nexmark generator, with the defaults of Flink's
/// Nexmark benchmark (1 : 3 : 46 persons, auctions and bids; 10 M events per
/// second of event time; a 4 s out-of-orderness bound for the watermark).
/// Equal configurations generate identical streams.
public struct NexmarkConfiguration: Sendable, Hashable {
  /// Events per second of event time: event `n` is stamped
  /// `baseTime + n * 1000 / firstEventRate` milliseconds.
  public var firstEventRate: Int64 = 10_000_000
  /// Event time of event 0, in epoch milliseconds (fixed, so runs are repeatable).
  public var baseTime: Int64 = 1_436_918_400_000  // 2015-07-15T00:00:00Z
  /// Persons per `totalProportion` events.
  public var personProportion: Int64 = 1
  /// Auctions per `totalProportion` events.
  public var auctionProportion: Int64 = 3
  /// Bids per `totalProportion` events.
  public var bidProportion: Int64 = 46
  /// Average size of a person in bytes, reached with `extra`.
  public var avgPersonByteSize: Int = 200
  /// Average size of an auction in bytes, reached with `extra`.
  public var avgAuctionByteSize: Int = 500
  /// Average size of a bid in bytes, reached with `extra`.
  public var avgBidByteSize: Int = 100
  /// A bid is on a hot auction with probability 1 − 1/`hotAuctionRatio`.
  public var hotAuctionRatio: Int = 2
  /// An auction is by a hot seller with probability 1 − 1/`hotSellersRatio`.
  public var hotSellersRatio: Int = 4
  /// A bid is by a hot bidder with probability 1 − 1/`hotBiddersRatio`.
  public var hotBiddersRatio: Int = 4
  /// How many recent auctions a non-hot bid chooses from.
  public var numInFlightAuctions: Int64 = 100
  /// How many recent persons a non-hot seller or bidder is chosen from.
  public var numActivePeople: Int64 = 1_000
  /// The watermark's bound on out-of-orderness, in milliseconds (Nexmark's DDL: 4 s).
  public var outOfOrdernessMillis: Int64 = 4_000
  /// Mixed into every event's random seed: another seed, another (equally valid) stream.
  public var seed: UInt64 = 0

  /// The defaults of Flink's Nexmark benchmark.
  public init() {}

  /// Persons, auctions and bids in one proportion cycle (50 by default).
  @inlinable
  public var totalProportion: Int64 { personProportion + auctionProportion + bidProportion }

  /// Throws ``NexmarkError/invalidConfiguration(_:)`` naming the first field out of range.
  public func validate() throws(NexmarkError) {
    func check(_ ok: Bool, _ message: String) throws(NexmarkError) {
      if !ok { throw .invalidConfiguration(message) }
    }
    try check(firstEventRate > 0, "firstEventRate must be positive, got \(firstEventRate)")
    try check(
      personProportion > 0 && auctionProportion > 0 && bidProportion > 0,
      "the person, auction and bid proportions must all be positive")
    try check(
      hotAuctionRatio > 0 && hotSellersRatio > 0 && hotBiddersRatio > 0,
      "the hot auction, seller and bidder ratios must all be positive")
    try check(numInFlightAuctions > 0, "numInFlightAuctions must be positive")
    try check(numActivePeople > 0, "numActivePeople must be positive")
    try check(
      avgPersonByteSize >= 0 && avgAuctionByteSize >= 0 && avgBidByteSize >= 0,
      "average sizes must not be negative")
    try check(outOfOrdernessMillis >= 0, "outOfOrdernessMillis must not be negative")
  }
}

/// What can go wrong when generating Nexmark events or running its queries.
public enum NexmarkError: Error, CustomStringConvertible, Equatable {
  /// A ``NexmarkConfiguration`` field is out of range; the message names it.
  case invalidConfiguration(String)
  /// A query name that is not one of ``NexmarkQuery``'s.
  case unknownQuery(String)

  /// What went wrong and what to do about it.
  public var description: String {
    switch self {
    case .invalidConfiguration(let message):
      "invalid Nexmark configuration: \(message)"
    case .unknownQuery(let name):
      "unknown Nexmark query '\(name)'; use one of "
        + NexmarkQuery.allCases.map(\.rawValue).joined(separator: ", ")
    }
  }
}
