import Synchronization

/// What an exchange producer puts into a checkpoint: its epochs closed but not
/// yet committed, with where their commit markers go. The job's committer
/// (``ExchangeCommitter``) publishes those markers once the checkpoint completed.
struct ExchangeTransaction: BinaryCodable, Sendable {
  /// The exchange.
  let topology: ExchangeTopology
  /// Who produced the epochs.
  let producer: ExchangeProducer
  /// The epochs.
  let state: ExchangePublisherState

  func encode(to writer: inout BinaryWriter) {
    topology.job.encode(to: &writer)
    Int64(topology.index).encode(to: &writer)
    Int64(topology.instances).encode(to: &writer)
    Int64(topology.producerParallelism).encode(to: &writer)
    Int64(topology.consumerParallelism).encode(to: &writer)
    Int64(topology.maxParallelism).encode(to: &writer)
    Int64(producer.instance).encode(to: &writer)
    Int64(producer.subtask).encode(to: &writer)
    state.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let job = try String.decode(from: &reader)
    var numbers: [Int] = []
    for _ in 0..<7 { numbers.append(Int(try Int64.decode(from: &reader))) }
    // index, instances, producer and consumer parallelism, key groups, producer.
    guard numbers.allSatisfy({ $0 >= 0 }), numbers[1] >= 1, numbers[2] >= 1, numbers[3] >= 1,
      numbers[4] >= numbers[1], numbers[5] < numbers[1], numbers[6] < numbers[2]
    else { throw CodecError.invalid(type: "ExchangeTransaction", reason: "impossible numbers") }
    return ExchangeTransaction(
      topology: ExchangeTopology(
        job: job, index: numbers[0], instances: numbers[1], producerParallelism: numbers[2],
        consumerParallelism: numbers[3], maxParallelism: numbers[4]),
      producer: ExchangeProducer(instance: numbers[5], subtask: numbers[6]),
      state: try ExchangePublisherState.decode(from: &reader))
  }
}

/// Publishes the commit markers of completed checkpoints' exchange epochs
/// (the commit of the exchange's two-phase commit), and tells the producers of
/// this process which checkpoints were committed so their next checkpoints
/// stop listing those epochs. Idempotent: markers carry deterministic ids, and
/// a reader ignores a repeated one. Thread-safe.
final class ExchangeCommitter: Sendable {
  private let transport: any ExchangeTransport
  private let connection = Mutex<(any ExchangeConnection)?>(nil)
  private let committed = Mutex<[ExchangeProducerKey: Int64]>([:])

  init(transport: any ExchangeTransport) { self.transport = transport }

  /// The transactions of a sink for ``SinkTransactions``: commit publishes the
  /// markers; nothing is ever moved aside (readers drop abandoned epochs).
  var transactions: SinkTransactions {
    SinkTransactions(
      commit: { [self] bytes in try commit(bytes) }, supersede: { _, _ in nil })
  }

  /// The newest checkpoint whose epochs of `producer` on `stream` were committed.
  func committedCheckpoint(stream: String, producer: ExchangeProducer) -> Int64 {
    committed.withLock { $0[ExchangeProducerKey(stream: stream, producer: producer)] ?? 0 }
  }

  private func commit(_ bytes: [UInt8]) throws {
    let transaction = try ExchangeTransaction.decode(bytes)
    var messages: [ExchangeOutgoing] = []
    var newest: Int64 = 0
    for epoch in transaction.state.pending {
      newest = max(newest, epoch.closedBy)
      for keyGroup in epoch.keyGroups {
        let message = ExchangeMessage.commit(
          producer: transaction.producer, generation: epoch.generation, epoch: epoch.epoch,
          checkpoint: epoch.closedBy)
        messages.append(
          ExchangeOutgoing(
            subject: transaction.topology.subject(keyGroup: keyGroup),
            messageID: message.messageID(keyGroup: keyGroup), payload: message.encodedBytes()))
      }
    }
    if !messages.isEmpty {
      try connection.withLock { connection in
        if connection == nil { connection = try transport.connect() }
        do { try connection!.publish(messages) } catch {
          connection?.close()
          connection = nil
          throw error
        }
      }
    }
    let key = ExchangeProducerKey(
      stream: transaction.topology.stream, producer: transaction.producer)
    committed.withLock { $0[key] = max($0[key] ?? 0, newest) }
  }

  deinit { connection.withLock { $0?.close() } }
}

/// A producer of one exchange stream.
struct ExchangeProducerKey: Hashable, Sendable {
  let stream: String
  let producer: ExchangeProducer
}

/// The upstream side of one exchange in one subtask: publishes its input, a
/// batch per key group, with the exchange's exactly-once protocol
/// (``ExchangePublisher``). Every publish returns once the log stored it, so
/// when a barrier's snapshot returns, the epoch it closes is stored (the
/// pre-commit); its commit markers follow when the checkpoint completes.
final class ExchangeSink<Record: BinaryCodable & Sendable>: StreamSink {
  typealias Input = Record

  private let topology: ExchangeTopology
  private let transport: any ExchangeTransport
  private let committer: ExchangeCommitter
  private let keyGroupOf: (Record, inout BinaryWriter) -> Int
  private var scratch = BinaryWriter(capacity: 32)
  private var publisher: ExchangePublisher<Record>?
  private var connection: (any ExchangeConnection)?
  private var clock: any ProcessingClock = SystemProcessingClock()
  private var producer = ExchangeProducer(instance: 0, subtask: 0)
  private var ended = false
  /// The newest watermark not published yet, and when one was published last.
  private var heldWatermark: Int64?
  private var lastWatermarkMillis: Int64?
  /// Watermarks go out at most this often (Flink's auto-watermark interval):
  /// each costs a message on every subject, and a later watermark is never wrong.
  static var watermarkIntervalMillis: Int64 { 200 }
  /// A partly filled batch waits this long for more records: records become
  /// visible only after the producer's next checkpoint anyway.
  static var flushAfterMillis: Int64 { 50 }

  init(
    topology: ExchangeTopology, transport: any ExchangeTransport, committer: ExchangeCommitter,
    keyGroupOf: @escaping (Record, inout BinaryWriter) -> Int
  ) {
    self.topology = topology
    self.transport = transport
    self.committer = committer
    self.keyGroupOf = keyGroupOf
  }

  func open(_ context: OperatorContext) throws {
    clock = context.processingClock
    producer = ExchangeProducer(instance: context.instance, subtask: context.subtaskIndex)
    let connection = try transport.connect()
    self.connection = connection
    try connection.prepare(topology)
    // The restored checkpoint's epochs were committed by the job before this
    // run started: the new generation begins with none pending.
    var publisher = ExchangePublisher<Record>(
      producer: producer, generation: context.generation, keyGroups: topology.maxParallelism,
      restoredCheckpoint: context.restoredCheckpointID, flushAfterMillis: Self.flushAfterMillis)
    let begin = publisher.start()
    self.publisher = publisher
    try publish(begin)
  }

  func write(_ batch: [Record]) throws {
    let now = clock.nowMillis()
    var out: [ExchangePublish] = []
    for record in batch {
      publisher!.append(record, keyGroup: keyGroupOf(record, &scratch), now: now, into: &out)
    }
    out += publisher!.tick(now: now)
    try publish(out)
  }

  func writeWatermark(_ watermark: Int64) throws {
    guard !ended else { return }
    heldWatermark = watermark
    try publishWatermark(force: false)
  }

  func idlenessChanged(_ isIdle: Bool) throws {
    guard !ended else { return }
    try publishWatermark(force: true)
    try publish(publisher!.idleness(isIdle))
  }

  func tick() throws {
    guard publisher != nil, !ended else { return }
    try publish(publisher!.tick(now: clock.nowMillis()))
    try publishWatermark(force: false)
  }

  /// Publishes the held watermark when the interval has passed (or `force`).
  private func publishWatermark(force: Bool) throws {
    guard let watermark = heldWatermark else { return }
    let now = clock.nowMillis()
    if !force, let last = lastWatermarkMillis, now - last < Self.watermarkIntervalMillis {
      return
    }
    heldWatermark = nil
    lastWatermarkMillis = now
    try publish(publisher!.watermark(watermark))
  }

  func snapshotState(checkpoint: Int64) throws -> [UInt8]? {
    try publishWatermark(force: true)
    // Epochs the job committed already need no markers again.
    _ = publisher!.checkpointCompleted(
      committer.committedCheckpoint(stream: topology.stream, producer: producer))
    let (out, state) = publisher!.barrier(checkpoint: checkpoint)
    try publish(out)
    return ExchangeTransaction(topology: topology, producer: producer, state: state)
      .encodedBytes()
  }

  func finish() throws {
    try publishWatermark(force: true)
    ended = true
    try publish(publisher!.endOfInput())
  }

  func finalState() throws -> [UInt8]? {
    // The last epoch (through the end of input) is committed by the first
    // checkpoint that completes after this component finished.
    _ = publisher!.checkpointCompleted(
      committer.committedCheckpoint(stream: topology.stream, producer: producer))
    let (out, state) = publisher!.barrier(checkpoint: .max)
    try publish(out)
    return ExchangeTransaction(topology: topology, producer: producer, state: state)
      .encodedBytes()
  }

  func close() {
    connection?.close()
    connection = nil
  }

  private func publish(_ messages: [ExchangePublish]) throws {
    guard !messages.isEmpty else { return }
    try connection!.publish(
      messages.map {
        ExchangeOutgoing(
          subject: topology.subject(keyGroup: $0.keyGroup), messageID: $0.messageID,
          payload: $0.message.encodedBytes())
      })
  }
}
