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

  /// An in-memory exchange of one producer and one consumer subtask over
  /// `keyGroups` key groups, with its topology and a connection to publish on.
  static func oneProducerExchange(keyGroups: Int) throws -> (
    ExchangeTopology, InMemoryExchange, any ExchangeConnection
  ) {
    let topology = ExchangeTopology(
      job: "t", index: 0, instances: 1, producerParallelism: 1, consumerParallelism: 1,
      maxParallelism: keyGroups)
    let exchange = InMemoryExchange()
    return (topology, exchange, try exchange.connect())
  }

  /// A watermark read from the exchange reaches the driver only after every
  /// record before it, also when a read returns fewer records than one
  /// message holds (the rest wait for the next read).
  @Test func aWatermarkNeverOvertakesRecordsLeftForTheNextRead() throws {
    let (topology, exchange, connection) = try Self.oneProducerExchange(keyGroups: 1)
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

  /// A checkpoint taken between two reads, while records of a fetched message
  /// are still to be handed to the task (a read returns at most `limit`
  /// records), resumes with exactly the records the task had not got: the
  /// checkpointed position covers what the task received, not what was
  /// fetched. (Taken after every number of reads, at several limits.)
  @Test(arguments: [1, 3, 4, 7, 64])
  func aCheckpointBetweenReadsResumesAfterTheLastRecordTheTaskGot(limit: Int) throws {
    let (topology, exchange, connection) = try Self.oneProducerExchange(keyGroups: 2)
    var publisher = ExchangePublisher<Int64>(
      producer: ExchangeProducer(instance: 0, subtask: 0), generation: 1, keyGroups: 2)
    var out = publisher.start()
    var checkpoint: Int64 = 0
    func completeCheckpoint() {
      checkpoint += 1
      out += publisher.barrier(checkpoint: checkpoint).publishes
      out += publisher.checkpointCompleted(checkpoint)
    }
    // Epochs of 10 records: one message of 5 per key group, then a watermark.
    let all = Array(Int64(1)...40)
    for value in all {
      out += publisher.append(value, keyGroup: Int(value % 2), now: 0)
      if value % 10 == 0 {
        out += publisher.watermark(value)
        completeCheckpoint()
      }
    }
    out += publisher.endOfInput()
    completeCheckpoint()
    try connection.publish(
      out.map {
        ExchangeOutgoing(
          subject: topology.subject(keyGroup: $0.keyGroup), messageID: $0.messageID,
          payload: $0.message.encodedBytes())
      })

    /// Reads until the reader finished (at most `reads` times); returns the records.
    func read(_ reader: ExchangeSourceReader<Int64>, reads: Int) throws -> (
      records: [Int64], finished: Bool
    ) {
      var records: [Int64] = []
      for _ in 0..<reads {
        var buffer: [Int64] = []
        let status = try reader.read(into: &buffer, limit: limit)
        #expect(buffer.count <= limit)
        records += buffer
        if case .finished = status { return (records, true) }
      }
      return (records, false)
    }
    for readsBefore in 1...(all.count / limit + 2) {
      let first = try ExchangeSourceReader<Int64>(
        topology: topology, keyGroups: 0..<2, positions: [:], transport: exchange)
      let before = try read(first, reads: readsBefore).records
      let position = try [String: [UInt8]].decode(first.position())
      first.close()
      let second = try ExchangeSourceReader<Int64>(
        topology: topology, keyGroups: 0..<2, positions: position, transport: exchange)
      let (after, finished) = try read(second, reads: 1_000)
      second.close()
      #expect(finished)
      expectSameElements(before + after, all)
      // Each key group's records keep their order across the restore.
      for keyGroup in Int64(0)...1 {
        #expect((before + after).filter { $0 % 2 == keyGroup } == all.filter { $0 % 2 == keyGroup })
      }
    }
  }
}
