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

  /// A watermark read from the exchange reaches the driver only after every
  /// record before it, also when a read returns fewer records than one
  /// message holds (the rest wait for the next read).
  @Test func aWatermarkNeverOvertakesRecordsLeftForTheNextRead() throws {
    let topology = ExchangeTopology(
      job: "t", index: 0, instances: 1, producerParallelism: 1, consumerParallelism: 1,
      maxParallelism: 1)
    let exchange = InMemoryExchange()
    let connection = try exchange.connect()
    var publisher = ExchangePublisher<Int64>(
      producer: ExchangeProducer(instance: 0, subtask: 0), generation: 1, keyGroups: 1)
    var out = publisher.start()
    for value in Int64(1)...10 { out += publisher.append(value, keyGroup: 0, now: 0) }
    out += publisher.watermark(10)
    out += publisher.barrier(checkpoint: 1).publishes
    out += publisher.checkpointCompleted(1)
    try connection.publish(
      out.map {
        ExchangeOutgoing(
          subject: topology.subject(keyGroup: $0.keyGroup), messageID: $0.messageID,
          payload: $0.message.encodedBytes())
      })
    let reader = try ExchangeSourceReader<Int64>(
      topology: topology, keyGroups: 0..<1, positions: [:], transport: exchange)
    defer { reader.close() }
    var received: [Int64] = []
    var watermarkSeenAfter: Int?
    for _ in 0..<10 {
      var buffer: [Int64] = []
      _ = try reader.read(into: &buffer, limit: 3)
      #expect(buffer.count <= 3)
      received += buffer
      if reader.signals.drain().contains(.watermark(10)), watermarkSeenAfter == nil {
        watermarkSeenAfter = received.count
      }
    }
    #expect(received == Array(1...10))
    #expect(
      watermarkSeenAfter == 10, "the watermark came after \(watermarkSeenAfter ?? -1) records")
  }
}
