import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q1, currency conversion: every bid with its price in euros
  /// (`SELECT auction, bidder, 0.908 * price, dateTime, extra FROM bid`), exact
  /// to three decimals.
  public func q1() -> DataStream<Q1Result> {
    bids.map(name: "Q1") {
      Q1Result(
        auction: $0.auction, bidder: $0.bidder, priceThousandths: $0.price * 908,
        dateTime: $0.dateTime, extra: $0.extra)
    }
  }
}
