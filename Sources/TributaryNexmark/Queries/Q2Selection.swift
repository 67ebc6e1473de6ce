import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q2, selection: the bids on auctions whose id is a multiple of 123
  /// (`SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`).
  public func q2() -> DataStream<Q2Result> {
    bids.compactMap(name: "Q2") {
      $0.auction % 123 == 0 ? Q2Result(auction: $0.auction, price: $0.price) : nil
    }
  }
}
