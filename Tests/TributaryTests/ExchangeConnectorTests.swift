import Testing

@testable import Tributary

/// The exchange's connector pieces that need no server.
@Suite struct ExchangeConnectorTests {
  /// What a producer puts into a checkpoint reads back as written, and
  /// impossible numbers are refused rather than committed somewhere wrong.
  @Test func aTransactionRoundTrips() throws {
    let transaction = ExchangeTransaction(
      topology: ExchangeTopology(
        job: "counts", index: 1, instances: 3, producerParallelism: 2, consumerParallelism: 4,
        maxParallelism: 128),
      producer: ExchangeProducer(instance: 2, subtask: 1),
      state: ExchangePublisherState(pending: [
        .init(generation: 7, epoch: 12, closedBy: 13, keyGroups: [0, 5, 127]),
        .init(generation: 7, epoch: 13, closedBy: .max, keyGroups: [3]),
      ]))
    let decoded = try ExchangeTransaction.decode(transaction.encodedBytes())
    #expect(decoded.topology == transaction.topology)
    #expect(decoded.producer == transaction.producer)
    #expect(decoded.state == transaction.state)
    let impossible = ExchangeTransaction(
      topology: transaction.topology, producer: ExchangeProducer(instance: 3, subtask: 0),
      state: transaction.state)
    #expect(throws: CodecError.self) { try ExchangeTransaction.decode(impossible.encodedBytes()) }
  }
}
