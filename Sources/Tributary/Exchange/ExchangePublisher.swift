/// A message the exchange's publisher asks to publish: `message` on the
/// subject of key group `keyGroup`, with JetStream message id `messageID`.
public struct ExchangePublish: Hashable, Sendable {
  /// The key group whose subject the message goes to.
  public let keyGroup: Int
  /// The message.
  public let message: ExchangeMessage
  /// Its `Nats-Msg-Id` (``ExchangeMessage/messageID(keyGroup:)``).
  public var messageID: String { message.messageID(keyGroup: keyGroup) }

  /// `message` on key group `keyGroup`'s subject.
  public init(keyGroup: Int, message: ExchangeMessage) {
    self.keyGroup = keyGroup
    self.message = message
  }
}

/// What a publisher keeps in a checkpoint: its epochs that are closed but not
/// yet committed (the transactions of a two-phase commit that a restore must
/// commit again), as of the barrier of the checkpoint.
public struct ExchangePublisherState: Hashable, Sendable, BinaryCodable {
  /// An epoch closed by a barrier, committed when that checkpoint (or a later one) completes.
  public struct PendingEpoch: Hashable, Sendable {
    /// The generation that produced it.
    public let generation: UInt64
    /// The epoch (the checkpoint its records follow).
    public let epoch: Int64
    /// The checkpoint whose barrier closed it.
    public let closedBy: Int64
    /// The key groups it published to, ascending: where its commit markers go.
    public let keyGroups: [Int]
  }

  /// Pending epochs, oldest first.
  public let pending: [PendingEpoch]

  /// Writes the pending epochs.
  public func encode(to writer: inout BinaryWriter) {
    writer.writeVarUInt(UInt64(pending.count))
    for epoch in pending {
      writer.writeVarUInt(epoch.generation)
      writer.writeFixed(epoch.epoch)
      writer.writeFixed(epoch.closedBy)
      epoch.keyGroups.map(Int64.init).encode(to: &writer)
    }
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let count = try reader.readCount(for: "ExchangePublisherState")
    var pending: [PendingEpoch] = []
    for _ in 0..<count {
      pending.append(
        PendingEpoch(
          generation: try reader.readVarUInt(), epoch: try reader.readFixed(Int64.self),
          closedBy: try reader.readFixed(Int64.self),
          keyGroups: try [Int64].decode(from: &reader).map { Int($0) }))
    }
    return ExchangePublisherState(pending: pending)
  }
}

/// The upstream side of one exchange for one producer (an upstream subtask),
/// as a pure state machine: records in, messages to publish out
/// (docs/scale-out.md, "Exactly-once across the exchange").
///
/// - Records are batched per key group in the binary codec: a key group's
///   batch is published when it reaches `maxBatchBytes`, when
///   `flushAfterMillis` passed since its first record (``tick(now:)``), and
///   before every watermark, idleness change, end of input and barrier — so
///   a producer's messages to one subject keep the order of its input.
/// - Every data or control message is tagged with the producer, its
///   generation, its epoch (the last checkpoint barrier it passed) and a
///   sequence number per subject.
/// - Watermarks, idleness and end of input go to every subject, since every
///   downstream key group must learn the producer's event time.
/// - ``barrier(checkpoint:)`` closes the epoch (its state for the checkpoint
///   lists it as pending); ``checkpointCompleted(_:)`` publishes one commit
///   marker per subject the epoch touched for every pending epoch the
///   checkpoint covers.
/// - ``start()`` (once, first) publishes the commit markers of the epochs the
///   restored checkpoint left pending (a crash may have come between the
///   checkpoint's completion and its markers; repeated markers are harmless),
///   then a `begin` on every subject, which makes readers abandon whatever
///   older generations left uncommitted.
///
/// The caller must publish the messages in the order returned, each
/// subject's in order, and must have every message of an epoch stored
/// (acknowledged by JetStream) before it acknowledges the checkpoint whose
/// barrier closed the epoch. `generation` must be greater than every
/// generation this producer used before. Not thread-safe: owned by one subtask.
public struct ExchangePublisher<Record: BinaryCodable & Sendable>: Sendable {
  /// Who publishes.
  public let producer: ExchangeProducer
  /// This incarnation's generation.
  public let generation: UInt64
  /// Number of key groups (subjects).
  public let keyGroups: Int
  /// A batch is published once its encoding reaches this many bytes.
  public let maxBatchBytes: Int
  /// A partly filled batch is published this long after its first record (milliseconds).
  public let flushAfterMillis: Int64

  private var batches: [BinaryWriter]
  private var batchCounts: [Int]
  private var batchStarted: [Int64?]
  private var sequences: [UInt64]
  private var epoch: Int64
  private var touched: Set<Int> = []
  private var pending: [ExchangePublisherState.PendingEpoch]
  private let restoredCheckpoint: Int64
  private var started = false

  /// A publisher for generation `generation` of `producer`.
  /// - Parameters:
  ///   - restored: the state of the checkpoint this incarnation resumes from
  ///     (`nil`: from scratch), whose id is `restoredCheckpoint`.
  public init(
    producer: ExchangeProducer, generation: UInt64, keyGroups: Int,
    restored: ExchangePublisherState? = nil, restoredCheckpoint: Int64 = 0,
    maxBatchBytes: Int = 64 << 10, flushAfterMillis: Int64 = 5
  ) {
    precondition(keyGroups >= 1 && maxBatchBytes >= 1 && flushAfterMillis >= 0)
    self.producer = producer
    self.generation = generation
    self.keyGroups = keyGroups
    self.maxBatchBytes = maxBatchBytes
    self.flushAfterMillis = flushAfterMillis
    batches = Array(repeating: BinaryWriter(capacity: 0), count: keyGroups)
    batchCounts = Array(repeating: 0, count: keyGroups)
    batchStarted = Array(repeating: nil, count: keyGroups)
    sequences = Array(repeating: 0, count: keyGroups)
    epoch = restoredCheckpoint
    pending = restored?.pending ?? []
    self.restoredCheckpoint = restoredCheckpoint
  }

  /// The commit markers the restored checkpoint left pending, then `begin` on
  /// every subject. Call once, before anything else.
  public mutating func start() -> [ExchangePublish] {
    precondition(!started, "start() is called once")
    started = true
    var out = commitMarkers(upTo: restoredCheckpoint)
    for keyGroup in 0..<keyGroups {
      out.append(
        ExchangePublish(
          keyGroup: keyGroup,
          message: .begin(
            producer: producer, generation: generation, restoredCheckpoint: restoredCheckpoint)))
    }
    return out
  }

  /// Adds `record` to the batch of `keyGroup`; returns that batch when it is full.
  public mutating func append(_ record: Record, keyGroup: Int, now: Int64) -> [ExchangePublish] {
    var out: [ExchangePublish] = []
    append(record, keyGroup: keyGroup, now: now, into: &out)
    return out
  }

  /// As ``append(_:keyGroup:now:)``, adding the full batch (if any) to `out`:
  /// no array per record on the producer's path.
  public mutating func append(
    _ record: Record, keyGroup: Int, now: Int64, into out: inout [ExchangePublish]
  ) {
    precondition(started, "start() first")
    if batchStarted[keyGroup] == nil { batchStarted[keyGroup] = now }
    record.encode(to: &batches[keyGroup])
    batchCounts[keyGroup] += 1
    if batches[keyGroup].bytes.count >= maxBatchBytes { out.append(flush(keyGroup)) }
  }

  /// The batches whose first record waited `flushAfterMillis` or longer.
  public mutating func tick(now: Int64) -> [ExchangePublish] {
    var out: [ExchangePublish] = []
    for keyGroup in 0..<keyGroups {
      if let started = batchStarted[keyGroup], now - started >= flushAfterMillis {
        out.append(flush(keyGroup))
      }
    }
    return out
  }

  /// Every pending batch, then the watermark on every subject.
  public mutating func watermark(_ watermark: Int64) -> [ExchangePublish] {
    let producer = producer
    return control { .watermark(producer: producer, tag: $0, watermark: watermark) }
  }

  /// Every pending batch, then the idleness change on every subject.
  public mutating func idleness(_ isIdle: Bool) -> [ExchangePublish] {
    let producer = producer
    return control { .idleness(producer: producer, tag: $0, isIdle: isIdle) }
  }

  /// Every pending batch, then the end of input on every subject.
  public mutating func endOfInput() -> [ExchangePublish] {
    let producer = producer
    return control { .endOfInput(producer: producer, tag: $0) }
  }

  /// The barrier of checkpoint `checkpoint`: publishes every pending batch
  /// and closes the current epoch. Returns those batches and the state to put
  /// into the checkpoint.
  public mutating func barrier(checkpoint: Int64) -> (
    publishes: [ExchangePublish], state: ExchangePublisherState
  ) {
    precondition(checkpoint > epoch, "checkpoint ids increase")
    var out: [ExchangePublish] = []
    for keyGroup in 0..<keyGroups where batchCounts[keyGroup] > 0 { out.append(flush(keyGroup)) }
    if !touched.isEmpty {
      pending.append(
        .init(
          generation: generation, epoch: epoch, closedBy: checkpoint,
          keyGroups: touched.sorted()))
    }
    touched = []
    epoch = checkpoint
    return (out, ExchangePublisherState(pending: pending))
  }

  /// Checkpoint `checkpoint` completed: the commit markers of every pending
  /// epoch closed by it or an earlier barrier, one per subject each touched.
  public mutating func checkpointCompleted(_ checkpoint: Int64) -> [ExchangePublish] {
    commitMarkers(upTo: checkpoint)
  }

  /// Epochs closed but not committed yet, oldest first.
  public var pendingEpochs: [ExchangePublisherState.PendingEpoch] { pending }

  private mutating func commitMarkers(upTo checkpoint: Int64) -> [ExchangePublish] {
    var out: [ExchangePublish] = []
    for closed in pending where closed.closedBy <= checkpoint {
      for keyGroup in closed.keyGroups {
        out.append(
          ExchangePublish(
            keyGroup: keyGroup,
            message: .commit(
              producer: producer, generation: closed.generation, epoch: closed.epoch,
              checkpoint: closed.closedBy)))
      }
    }
    pending.removeAll { $0.closedBy <= checkpoint }
    return out
  }

  private mutating func control(_ make: (ExchangeTag) -> ExchangeMessage) -> [ExchangePublish] {
    precondition(started, "start() first")
    var out: [ExchangePublish] = []
    for keyGroup in 0..<keyGroups where batchCounts[keyGroup] > 0 { out.append(flush(keyGroup)) }
    for keyGroup in 0..<keyGroups {
      out.append(ExchangePublish(keyGroup: keyGroup, message: make(nextTag(keyGroup))))
    }
    return out
  }

  private mutating func nextTag(_ keyGroup: Int) -> ExchangeTag {
    sequences[keyGroup] += 1
    touched.insert(keyGroup)
    return ExchangeTag(generation: generation, epoch: epoch, sequence: sequences[keyGroup])
  }

  private mutating func flush(_ keyGroup: Int) -> ExchangePublish {
    let message = ExchangeMessage.records(
      producer: producer, tag: nextTag(keyGroup), count: batchCounts[keyGroup],
      payload: batches[keyGroup].bytes)
    batches[keyGroup].reset()
    batchCounts[keyGroup] = 0
    batchStarted[keyGroup] = nil
    return ExchangePublish(keyGroup: keyGroup, message: message)
  }
}
