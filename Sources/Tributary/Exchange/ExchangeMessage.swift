/// One upstream subtask of a scaled-out job that publishes into an exchange:
/// subtask `subtask` of instance `instance`. Its identity is stable across
/// restarts; its incarnations are told apart by a generation.
public struct ExchangeProducer: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The instance (process) the subtask runs in.
  public let instance: Int
  /// The subtask within the instance.
  public let subtask: Int

  /// Subtask `subtask` of instance `instance`.
  public init(instance: Int, subtask: Int) {
    precondition(instance >= 0 && subtask >= 0)
    self.instance = instance
    self.subtask = subtask
  }

  /// `i<instance>s<subtask>`, as used in message ids.
  public var description: String { "i\(instance)s\(subtask)" }

  /// Orders by instance, then subtask.
  public static func < (a: Self, b: Self) -> Bool {
    (a.instance, a.subtask) < (b.instance, b.subtask)
  }
}

/// Where a producer's message stands in its output to one subject: its
/// generation (incarnation), epoch (the checkpoint its records follow) and
/// sequence number (per generation and subject, from 1). Tags of one producer
/// on one subject increase in the order published: `(generation, sequence)`
/// orders them, which is how readers recognise duplicates.
public struct ExchangeTag: Hashable, Sendable {
  /// The producer's incarnation: greater for every run after a crash or restart.
  public let generation: UInt64
  /// The id of the checkpoint after which these records were produced (0
  /// before the first); the epoch commits when a later checkpoint of the
  /// producer completes.
  public let epoch: Int64
  /// Position among the producer's messages to this subject in this generation.
  public let sequence: UInt64

  /// A tag.
  public init(generation: UInt64, epoch: Int64, sequence: UInt64) {
    self.generation = generation
    self.epoch = epoch
    self.sequence = sequence
  }

  /// Whether `self` was published after `other` (by the same producer, to the same subject).
  public func isAfter(_ other: ExchangeTag) -> Bool {
    (generation, sequence) > (other.generation, other.sequence)
  }
}

/// A message on an exchange subject (one key group of one hash edge), in the
/// protocol of docs/scale-out.md ("Exactly-once across the exchange").
///
/// Data and control messages (`records`, `watermark`, `idleness`,
/// `endOfInput`) belong to an epoch of their producer and take effect only
/// when a `commit` for that epoch follows on the same subject; `begin`
/// starts a generation and abandons every epoch of older generations that
/// was not committed. Encoded with a version byte (``encode(to:)`` /
/// ``decode(from:)``); values are immutable and `Sendable`.
public enum ExchangeMessage: Hashable, Sendable {
  /// Generation `generation` of `producer` starts, resuming after checkpoint
  /// `restoredCheckpoint` (0: from scratch).
  case begin(producer: ExchangeProducer, generation: UInt64, restoredCheckpoint: Int64)
  /// `count` records, encoded back to back in `payload` (``ExchangeBatch``).
  case records(producer: ExchangeProducer, tag: ExchangeTag, count: Int, payload: [UInt8])
  /// The producer's watermark advanced to `watermark`.
  case watermark(producer: ExchangeProducer, tag: ExchangeTag, watermark: Int64)
  /// The producer became idle (`true`) or active again (`false`).
  case idleness(producer: ExchangeProducer, tag: ExchangeTag, isIdle: Bool)
  /// The producer will publish nothing more (bounded input).
  case endOfInput(producer: ExchangeProducer, tag: ExchangeTag)
  /// The producer's epoch `epoch` of generation `generation` is committed:
  /// checkpoint `checkpoint`, which follows it, completed.
  case commit(producer: ExchangeProducer, generation: UInt64, epoch: Int64, checkpoint: Int64)

  /// The producer that published the message.
  public var producer: ExchangeProducer {
    switch self {
    case .begin(let producer, _, _), .records(let producer, _, _, _),
      .watermark(let producer, _, _), .idleness(let producer, _, _),
      .endOfInput(let producer, _), .commit(let producer, _, _, _):
      return producer
    }
  }

  /// The tag of a data or control message; `nil` for `begin` and `commit`.
  public var tag: ExchangeTag? {
    switch self {
    case .records(_, let tag, _, _), .watermark(_, let tag, _), .idleness(_, let tag, _),
      .endOfInput(_, let tag):
      return tag
    case .begin, .commit:
      return nil
    }
  }

  /// The JetStream `Nats-Msg-Id` for this message on the subject of key
  /// group `keyGroup`: a function of the message's identity only, so a
  /// repeated publish (a retry, or a commit published again after a restart)
  /// carries the same id and the server drops it within its duplicate window.
  public func messageID(keyGroup: Int) -> String {
    switch self {
    case .begin(let producer, let generation, _):
      return "\(producer)-k\(keyGroup)-g\(generation)-begin"
    case .commit(let producer, let generation, let epoch, _):
      return "\(producer)-k\(keyGroup)-g\(generation)-e\(epoch)-commit"
    case .records(let producer, let tag, _, _), .watermark(let producer, let tag, _),
      .idleness(let producer, let tag, _), .endOfInput(let producer, let tag):
      return "\(producer)-k\(keyGroup)-g\(tag.generation)-n\(tag.sequence)"
    }
  }

  static let formatVersion: UInt8 = 1
}

extension ExchangeMessage: BinaryCodable {
  /// Writes the version byte, the kind, the producer and the kind's fields.
  public func encode(to writer: inout BinaryWriter) {
    writer.write(Self.formatVersion)
    func header(_ kind: UInt8, _ producer: ExchangeProducer) {
      writer.write(kind)
      writer.writeVarUInt(UInt64(producer.instance))
      writer.writeVarUInt(UInt64(producer.subtask))
    }
    func write(_ tag: ExchangeTag) {
      writer.writeVarUInt(tag.generation)
      writer.writeFixed(tag.epoch)
      writer.writeVarUInt(tag.sequence)
    }
    switch self {
    case .begin(let producer, let generation, let restored):
      header(0, producer)
      writer.writeVarUInt(generation)
      writer.writeFixed(restored)
    case .records(let producer, let tag, let count, let payload):
      header(1, producer)
      write(tag)
      writer.writeVarUInt(UInt64(count))
      writer.writeLengthPrefixed(payload)
    case .watermark(let producer, let tag, let watermark):
      header(2, producer)
      write(tag)
      writer.writeFixed(watermark)
    case .idleness(let producer, let tag, let isIdle):
      header(3, producer)
      write(tag)
      writer.write(isIdle ? 1 : 0)
    case .endOfInput(let producer, let tag):
      header(4, producer)
      write(tag)
    case .commit(let producer, let generation, let epoch, let checkpoint):
      header(5, producer)
      writer.writeVarUInt(generation)
      writer.writeFixed(epoch)
      writer.writeFixed(checkpoint)
    }
  }

  /// Reads a message written by ``encode(to:)``.
  /// - Throws: `CodecError` for truncated input, an unknown version or kind.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let version = try reader.readByte(for: "ExchangeMessage version")
    guard version == formatVersion else {
      throw CodecError.invalid(
        type: "ExchangeMessage",
        reason: "format version \(version); this build reads version \(formatVersion)")
    }
    let kind = try reader.readByte(for: "ExchangeMessage kind")
    let producer = ExchangeProducer(
      instance: Int(try reader.readVarUInt()), subtask: Int(try reader.readVarUInt()))
    func tag() throws(CodecError) -> ExchangeTag {
      ExchangeTag(
        generation: try reader.readVarUInt(), epoch: try reader.readFixed(Int64.self),
        sequence: try reader.readVarUInt())
    }
    switch kind {
    case 0:
      return .begin(
        producer: producer, generation: try reader.readVarUInt(),
        restoredCheckpoint: try reader.readFixed(Int64.self))
    case 1:
      let tag = try tag()
      let count = Int(try reader.readVarUInt())
      return .records(
        producer: producer, tag: tag, count: count,
        payload: Array(try reader.readLengthPrefixed(for: "ExchangeMessage payload")))
    case 2:
      return .watermark(
        producer: producer, tag: try tag(), watermark: try reader.readFixed(Int64.self))
    case 3:
      let tag = try tag()
      return .idleness(producer: producer, tag: tag, isIdle: try reader.readByte() != 0)
    case 4:
      return .endOfInput(producer: producer, tag: try tag())
    case 5:
      return .commit(
        producer: producer, generation: try reader.readVarUInt(),
        epoch: try reader.readFixed(Int64.self), checkpoint: try reader.readFixed(Int64.self))
    default:
      throw CodecError.invalid(type: "ExchangeMessage", reason: "unknown kind \(kind)")
    }
  }
}

/// A batch of records in an exchange message's payload: the records'
/// ``BinaryCodable`` encodings back to back.
public enum ExchangeBatch {
  /// The `count` records of `payload`, in the order they were appended.
  /// - Throws: `CodecError` when the payload does not hold `count` records of `T`.
  public static func decode<T: BinaryCodable>(_: T.Type, count: Int, payload: [UInt8])
    throws(CodecError) -> [T]
  {
    var reader = BinaryReader(payload)
    var records: [T] = []
    records.reserveCapacity(count)
    for _ in 0..<count { records.append(try T.decode(from: &reader)) }
    guard reader.isAtEnd else {
      throw CodecError.trailingBytes(
        type: "ExchangeBatch of \(count) records", count: reader.remaining)
    }
    return records
  }
}
