import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q0, pass-through: every bid, unchanged
  /// (`SELECT auction, bidder, price, dateTime, extra FROM bid`).
  public func q0() -> DataStream<Bid> { bids }
}
