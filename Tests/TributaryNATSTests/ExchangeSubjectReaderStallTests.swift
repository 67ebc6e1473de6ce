import Testing

@testable import TributaryNATS

/// When a subject reader recreates its pull consumer after an empty fetch
/// (`PullConsumer.mustRecreate`): a recreated consumer delivers the subject
/// from its first message again, which the reader skips up to its position,
/// so recreating one that was fine stalls a reader that is behind.
@Suite struct ExchangeSubjectReaderStallTests {
  /// Deliveries the server counts but the reader has not taken are queued in
  /// the subscription or on their way (a fetch that returned before the
  /// answer came): without a reconnect the consumer is kept.
  @Test func deliveriesNotTakenYetAreNotLostWithoutAReconnect() {
    #expect(
      !PullConsumer.mustRecreate(
        .active(delivered: 300, pending: 50), nextConsumerSequence: 45, queued: 0,
        reconnected: false))
    #expect(
      !PullConsumer.mustRecreate(
        .active(delivered: 300, pending: 50), nextConsumerSequence: 45, queued: 256,
        reconnected: true), "all of them wait in the subscription")
  }

  /// A consumer the server lost, or deliveries made on a connection that
  /// dropped, make the reader recreate it after its position.
  @Test func aLostConsumerOrLostDeliveriesAreRecreated() {
    #expect(
      PullConsumer.mustRecreate(
        .gone, nextConsumerSequence: 45, queued: 0, reconnected: false))
    #expect(
      PullConsumer.mustRecreate(
        .active(delivered: 300, pending: 0), nextConsumerSequence: 45, queued: 10,
        reconnected: true))
    #expect(
      !PullConsumer.mustRecreate(
        .active(delivered: 44, pending: 0), nextConsumerSequence: 45, queued: 0,
        reconnected: true), "everything delivered was taken")
  }
}
