/// What an exchange reader hands on for one of its subjects, in order.
public enum ExchangeDelivery: Hashable, Sendable {
  /// Committed records: those at indices `range` of the `count` records
  /// encoded in `payload` (``ExchangeBatch``). A message is handed on in
  /// parts when the caller takes fewer records than it holds; the parts of a
  /// message follow one another, in order.
  case records(
    subject: Int, producer: ExchangeProducer, count: Int, payload: [UInt8], range: Range<Int>)
  /// The subject's watermark (minimum over its producers) advanced.
  case watermark(subject: Int, watermark: Int64)
  /// Every producer of the subject still open is idle (`true`), or one is active again.
  case idleness(subject: Int, isIdle: Bool)
  /// Every producer ended its input on the subject.
  case endOfInput(subject: Int)
}

/// What a reader keeps in a checkpoint, per subject: the stream sequence up
/// to which every message was decided and handed on (or dropped), how many
/// records of the next message were handed on already (when it was handed on
/// in part), and per producer its generation, the tag of its last message
/// handed on, and its watermark state. A restored reader re-reads each
/// subject from `position + 1` and hands on only the rest of that message.
public struct ExchangeReaderState: Hashable, Sendable, BinaryCodable {
  /// One producer as seen on one subject.
  public struct Producer: Hashable, Sendable {
    /// The newest generation seen (0: none yet).
    public var generation: UInt64 = 0
    /// The tag of the last message handed on (`nil`: none).
    public var last: ExchangeTag?
    /// The producer's last committed watermark.
    public var watermark: Int64 = .min
    /// Whether it is idle.
    public var isIdle = false
    /// Whether it ended its input.
    public var ended = false
  }

  /// One subject.
  public struct Subject: Hashable, Sendable {
    /// Every message at or before this stream sequence is decided and handed on.
    public var position: UInt64
    /// Per producer, in the order of the reader's `producers`.
    public var producers: [Producer]
    /// Records of the message right after `position` already handed on (0
    /// unless that message was handed on in part).
    public var partlyHandedOn = 0
  }

  /// Per subject, in the reader's order.
  public var subjects: [Subject]

  /// Writes the state.
  public func encode(to writer: inout BinaryWriter) {
    writer.writeVarUInt(UInt64(subjects.count))
    for subject in subjects {
      writer.writeVarUInt(subject.position)
      writer.writeVarUInt(UInt64(subject.producers.count))
      for p in subject.producers {
        writer.writeVarUInt(p.generation)
        if let last = p.last {
          writer.write(1)
          writer.writeVarUInt(last.generation)
          writer.writeFixed(last.epoch)
          writer.writeVarUInt(last.sequence)
        } else {
          writer.write(0)
        }
        writer.writeFixed(p.watermark)
        writer.write((p.isIdle ? 1 : 0) | (p.ended ? 2 : 0))
      }
    }
    // Written only when a message was handed on in part, so that any other
    // state reads as it was written before this section existed.
    if subjects.contains(where: { $0.partlyHandedOn > 0 }) {
      writer.write(1)
      for subject in subjects { writer.writeVarUInt(UInt64(subject.partlyHandedOn)) }
    }
  }

  /// Reads what ``encode(to:)`` wrote; the state must end `reader`'s bytes
  /// (it is stored on its own), since its last section is optional.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var subjects: [Subject] = []
    for _ in 0..<(try reader.readCount(for: "ExchangeReaderState")) {
      let position = try reader.readVarUInt()
      var producers: [Producer] = []
      for _ in 0..<(try reader.readCount(for: "ExchangeReaderState producers")) {
        var p = Producer()
        p.generation = try reader.readVarUInt()
        if try reader.readByte() == 1 {
          p.last = ExchangeTag(
            generation: try reader.readVarUInt(), epoch: try reader.readFixed(Int64.self),
            sequence: try reader.readVarUInt())
        }
        p.watermark = try reader.readFixed(Int64.self)
        let flags = try reader.readByte()
        p.isIdle = flags & 1 != 0
        p.ended = flags & 2 != 0
        producers.append(p)
      }
      subjects.append(Subject(position: position, producers: producers))
    }
    if !reader.isAtEnd {
      guard try reader.readByte() == 1 else {
        throw CodecError.invalid(type: "ExchangeReaderState", reason: "unknown section")
      }
      for s in subjects.indices {
        let handedOn = try reader.readVarUInt()
        guard handedOn <= UInt64(Int.max) else {
          throw CodecError.invalid(type: "ExchangeReaderState", reason: "impossible record count")
        }
        subjects[s].partlyHandedOn = Int(handedOn)
      }
    }
    return ExchangeReaderState(subjects: subjects)
  }
}

/// Counts of messages a reader dropped, by reason (for metrics and tests).
public struct ExchangeReaderDrops: Hashable, Sendable {
  /// Repeated publishes (a tag not after the producer's last one).
  public var duplicates = 0
  /// Messages of a generation older than one already begun (a zombie's).
  public var fenced = 0
  /// Uncommitted messages a newer generation abandoned.
  public var abandoned = 0
  /// Messages from a producer the reader does not know.
  public var unknownProducer = 0
}

/// The downstream side of one exchange for one subtask, as a pure state
/// machine over the subjects (key groups) it reads: messages in, in each
/// subject's stream order, deliveries out (docs/scale-out.md,
/// "Exactly-once across the exchange").
///
/// Per subject it works like Kafka's `read_committed` consumer: a message is
/// handed on only once it is decided and every message before it on the
/// subject is, so the subject's checkpointed position is one number.
/// - A data or control message waits until its producer publishes the
///   `commit` of its epoch, then is handed on (records as
///   ``ExchangeDelivery/records(subject:producer:count:payload:)``;
///   watermarks, idleness and end of input through the subject's watermark
///   valve, whose channels are the producers).
/// - A `begin` of a newer generation abandons the producer's messages of
///   older generations that are not committed; messages of older
///   generations that arrive afterwards (a zombie) are dropped.
/// - A message whose tag is not after the producer's last accepted one is a
///   duplicate and dropped.
/// - Subjects are independent: messages may arrive interleaved across
///   subjects in any order.
/// - The watermark of a subject is the minimum over all known producers
///   (`producers`, known from the plan), so a producer that has said nothing
///   yet holds it back until it is idle or ended.
/// - The caller may take fewer records than are decided (`handingOnAtMost`):
///   the rest waits, decided, in order, and ``handOn(subject:atMost:)`` hands
///   it on later, a message possibly in parts. The ``state`` always describes
///   exactly what was handed on, so a checkpoint taken between two calls
///   restores to the first record not handed on.
///
/// Stream sequences of one subject must be delivered increasing (a
/// JetStream stream is ordered); a message at or before the subject's
/// position is ignored (already decided). Not thread-safe: owned by one subtask.
public struct ExchangeReader: Sendable {
  private struct Entry {
    let sequence: UInt64
    let producer: Int
    let message: ExchangeMessage
    var committed = false
  }

  private struct Subject {
    var position: UInt64
    /// The highest stream sequence received.
    var received: UInt64
    /// Per producer, as of the messages handed on (what a checkpoint keeps).
    var producers: [ExchangeReaderState.Producer]
    /// Per producer, the newest generation received (ahead of `producers`
    /// while messages wait).
    var current: [UInt64]
    /// Per producer, the last tag accepted (ahead of `producers` while messages wait).
    var accepted: [ExchangeTag?]
    var queue: [Entry] = []
    var queueStart = 0
    /// Records of the head message (`queue[queueStart]`, or after a restore
    /// the message right after `position`, before it arrives) handed on.
    var headHandedOn = 0
    var valve: WatermarkValve
    var ended = false
  }

  /// The producers of the exchange, in channel order.
  public let producers: [ExchangeProducer]
  private let producerIndex: [ExchangeProducer: Int]
  private var subjects: [Subject]
  /// Messages dropped so far, by reason.
  public private(set) var drops = ExchangeReaderDrops()

  /// A reader of `subjects` subjects fed by `producers`, fresh or resuming from `restored`.
  public init(subjects: Int, producers: [ExchangeProducer], restored: ExchangeReaderState? = nil) {
    precondition(subjects >= 0 && !producers.isEmpty)
    precondition(restored == nil || restored!.subjects.count == subjects)
    self.producers = producers
    producerIndex = Dictionary(uniqueKeysWithValues: producers.enumerated().map { ($1, $0) })
    self.subjects = (0..<subjects).map { s in
      let saved =
        restored?.subjects[s]
        ?? .init(
          position: 0,
          producers: Array(repeating: ExchangeReaderState.Producer(), count: producers.count))
      var valve = WatermarkValve(channelCount: producers.count)
      for (p, producer) in saved.producers.enumerated() {
        if producer.watermark > .min { _ = valve.watermark(producer.watermark, channel: p) }
        if producer.isIdle { _ = valve.idleness(true, channel: p) }
        if producer.ended { _ = valve.endOfInput(channel: p) }
      }
      return Subject(
        position: saved.position, received: saved.position, producers: saved.producers,
        current: saved.producers.map(\.generation), accepted: saved.producers.map(\.last),
        headHandedOn: saved.partlyHandedOn, valve: valve,
        ended: saved.producers.allSatisfy(\.ended))
    }
  }

  /// The sequence to resume subject `subject` after: every message at or
  /// before it is decided and handed on.
  public func position(ofSubject subject: Int) -> UInt64 { subjects[subject].position }

  /// The subject's current watermark (`Int64.min` before any).
  public func watermark(ofSubject subject: Int) -> Int64 { subjects[subject].valve.emitted }

  /// Messages received but not decided yet, over all subjects.
  public var undecided: Int { subjects.reduce(0) { $0 + $1.queue.count - $1.queueStart } }

  /// Messages of subject `subject` received but not handed on yet. They wait in
  /// memory (never in a checkpoint) behind the subject's oldest undecided
  /// message; a driver bounds memory by not fetching more of a subject while
  /// this is high (the messages stay in the stream and are fetched later).
  public func undecided(ofSubject subject: Int) -> Int {
    subjects[subject].queue.count - subjects[subject].queueStart
  }

  /// Whether subject `subject` has a decided message (or the rest of one)
  /// waiting to be handed on: a caller that took less than was decided.
  public func hasDecided(subject s: Int) -> Bool {
    subjects[s].queueStart < subjects[s].queue.count
      && subjects[s].queue[subjects[s].queueStart].committed
  }

  /// The state to checkpoint: positions and exactly what was handed on, never
  /// what waits (undecided, or decided but not taken by the caller yet).
  public var state: ExchangeReaderState {
    ExchangeReaderState(
      subjects: subjects.map {
        .init(position: $0.position, producers: $0.producers, partlyHandedOn: $0.headHandedOn)
      })
  }

  /// `message`, at stream sequence `sequence` of subject `subject`, arrived.
  /// Returns what can now be handed on for that subject, in order, with at
  /// most `maxRecords` records; whatever else is decided waits for
  /// ``handOn(subject:atMost:)``.
  public mutating func receive(
    _ message: ExchangeMessage, subject s: Int, sequence: UInt64,
    handingOnAtMost maxRecords: Int = .max
  ) -> [ExchangeDelivery] {
    precondition(maxRecords >= 0)
    guard sequence > subjects[s].received else { return [] }
    subjects[s].received = sequence
    guard let p = producerIndex[message.producer] else {
      drops.unknownProducer += 1
      return drain(s, maxRecords: maxRecords)
    }
    switch message {
    case .begin(_, let generation, _):
      if startGeneration(generation, producer: p, subject: s) {
        // Queued (already decided) so that the checkpointed generation
        // follows the position.
        subjects[s].queue.append(
          Entry(sequence: sequence, producer: p, message: message, committed: true))
      }
    case .commit(_, let generation, let epoch, _):
      let queue = subjects[s].queue
      for i in subjects[s].queueStart..<queue.count
      where queue[i].producer == p && queue[i].message.tag?.generation == generation
        && queue[i].message.tag?.epoch == epoch
      {
        subjects[s].queue[i].committed = true
      }
    case .records, .watermark, .idleness, .endOfInput:
      let tag = message.tag!
      var generation = subjects[s].current[p]
      if tag.generation > generation {
        // The generation's begin was not seen (it is published first): begin now.
        _ = startGeneration(tag.generation, producer: p, subject: s)
        generation = tag.generation
      }
      if tag.generation < generation {
        drops.fenced += 1
      } else if let last = subjects[s].accepted[p], !tag.isAfter(last) {
        drops.duplicates += 1
      } else {
        subjects[s].accepted[p] = tag
        subjects[s].queue.append(Entry(sequence: sequence, producer: p, message: message))
      }
    }
    return drain(s, maxRecords: maxRecords)
  }

  /// Hands on what waits decided on subject `subject` (left by an earlier
  /// call that took fewer records), in order, with at most `maxRecords` records.
  public mutating func handOn(subject s: Int, atMost maxRecords: Int) -> [ExchangeDelivery] {
    precondition(maxRecords >= 0)
    return drain(s, maxRecords: maxRecords)
  }

  /// Generation `generation` of producer `p` begins on subject `s`: its
  /// older generations' uncommitted messages are abandoned. Returns `false`
  /// (and does nothing) when that generation or a newer one already began.
  private mutating func startGeneration(_ generation: UInt64, producer p: Int, subject s: Int)
    -> Bool
  {
    guard generation > subjects[s].current[p] else {
      if generation < subjects[s].current[p] { drops.fenced += 1 }
      return false
    }
    subjects[s].current[p] = generation
    let before = subjects[s].queue.count
    let start = subjects[s].queueStart
    var kept = Array(subjects[s].queue[..<start])
    for entry in subjects[s].queue[start...]
    where entry.producer != p || entry.committed
      || (entry.message.tag?.generation ?? generation) >= generation
    {
      kept.append(entry)
    }
    drops.abandoned += before - kept.count
    subjects[s].queue = kept
    return true
  }

  /// Hands on the decided prefix of subject `s`'s queue, with at most
  /// `maxRecords` records: a records message that does not fit is handed on
  /// in part and stays at the head (the position before it), with the count
  /// of its records handed on.
  private mutating func drain(_ s: Int, maxRecords: Int) -> [ExchangeDelivery] {
    var out: [ExchangeDelivery] = []
    var room = maxRecords
    while subjects[s].queueStart < subjects[s].queue.count,
      subjects[s].queue[subjects[s].queueStart].committed
    {
      let entry = subjects[s].queue[subjects[s].queueStart]
      if case .records(let producer, _, let count, let payload) = entry.message {
        let first = min(subjects[s].headHandedOn, count)
        let taken = min(count - first, room)
        if taken > 0 {
          out.append(
            .records(
              subject: s, producer: producer, count: count, payload: payload,
              range: first..<first + taken))
          room -= taken
        }
        if first + taken < count {
          subjects[s].headHandedOn = first + taken
          break
        }
      }
      subjects[s].headHandedOn = 0
      subjects[s].queueStart += 1
      let p = entry.producer
      if let tag = entry.message.tag {
        subjects[s].producers[p].last = tag
        subjects[s].producers[p].generation = max(
          subjects[s].producers[p].generation, tag.generation)
      }
      switch entry.message {
      case .records:
        break  // handed on above
      case .watermark(_, _, let watermark):
        subjects[s].producers[p].watermark = max(subjects[s].producers[p].watermark, watermark)
        subjects[s].producers[p].isIdle = false
        out += valveOutputs(subjects[s].valve.watermark(watermark, channel: p), subject: s)
      case .idleness(_, _, let isIdle):
        subjects[s].producers[p].isIdle = isIdle
        out += valveOutputs(subjects[s].valve.idleness(isIdle, channel: p), subject: s)
      case .endOfInput:
        subjects[s].producers[p].ended = true
        out += valveOutputs(subjects[s].valve.endOfInput(channel: p), subject: s)
        if !subjects[s].ended && subjects[s].producers.allSatisfy(\.ended) {
          subjects[s].ended = true
          out.append(.endOfInput(subject: s))
        }
      case .begin(_, let generation, _):
        subjects[s].producers[p].generation = max(subjects[s].producers[p].generation, generation)
      case .commit:
        break
      }
    }
    if subjects[s].queueStart == subjects[s].queue.count {
      subjects[s].queue.removeAll(keepingCapacity: true)
      subjects[s].queueStart = 0
      subjects[s].position = subjects[s].received
    } else {
      subjects[s].position = subjects[s].queue[subjects[s].queueStart].sequence - 1
      if subjects[s].queueStart > 64 && subjects[s].queueStart * 2 > subjects[s].queue.count {
        subjects[s].queue.removeFirst(subjects[s].queueStart)
        subjects[s].queueStart = 0
      }
    }
    return out
  }

  private func valveOutputs(_ outputs: [WatermarkValve.Output], subject: Int) -> [ExchangeDelivery]
  {
    outputs.map {
      switch $0 {
      case .watermark(let w): .watermark(subject: subject, watermark: w)
      case .idleness(let idle): .idleness(subject: subject, isIdle: idle)
      }
    }
  }
}
