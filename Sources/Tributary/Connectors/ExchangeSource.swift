/// The downstream side of one exchange in one subtask: reads the subjects of
/// the key groups the subtask owns, decides each message with the
/// exchange's exactly-once protocol (``ExchangeReader``: committed epochs
/// only, abandoned ones dropped), and hands on the records, the subjects'
/// combined watermark and idleness, and the end of input once every producer
/// of every subject ended. Its checkpointed position is the reader's state
/// per key group, so a restore (at any parallelism of the instance) resumes
/// each subject right after the last record handed to the task: a read takes
/// at most its limit of records from the reader, and whatever else is
/// decided waits in the reader, outside the position, for the next read.
/// Used by one task only.
final class ExchangeSourceReader<Record: BinaryCodable & Sendable> {
  /// Messages of one subject waiting for a commit before more are fetched.
  /// A subject whose head waits for a producer's commit marker that lies
  /// further on than this stops (docs/scale-out.md, "Limits").
  static var maxUndecided: Int { 32_768 }

  private let topology: ExchangeTopology
  private let keyGroups: Range<Int>
  private let connection: any ExchangeConnection
  private var subjects: [any ExchangeSubjectReading] = []
  private var reader: ExchangeReader
  private var valve: WatermarkValve
  private var ended: [Bool]
  private var remaining: Int
  private var next = 0
  let signals = ControlSignals()

  /// Opens the subjects of `keyGroups`, each after its position in `positions`
  /// (the union of the former subtasks' checkpointed positions).
  init(
    topology: ExchangeTopology, keyGroups: Range<Int>, positions: [String: [UInt8]],
    transport: any ExchangeTransport
  ) throws {
    self.topology = topology
    self.keyGroups = keyGroups
    let producers = topology.producers
    var restored: [ExchangeReaderState.Subject] = []
    for keyGroup in keyGroups {
      if let bytes = positions[String(keyGroup)] {
        let state = try ExchangeReaderState.decode(bytes)
        guard state.subjects.count == 1, state.subjects[0].producers.count == producers.count
        else {
          throw CheckpointingError.incompatible(
            "the exchange \(topology.stream) had \(state.subjects.first?.producers.count ?? 0) "
              + "producers and now has \(producers.count): change instances or parallelism "
              + "upstream of an exchange only through a savepoint (not available yet)")
        }
        restored.append(state.subjects[0])
      } else {
        restored.append(
          .init(
            position: 0,
            producers: Array(repeating: ExchangeReaderState.Producer(), count: producers.count)))
      }
    }
    reader = ExchangeReader(
      subjects: keyGroups.count, producers: producers,
      restored: ExchangeReaderState(subjects: restored))
    valve = WatermarkValve(channelCount: max(1, keyGroups.count))
    ended = restored.map { $0.producers.allSatisfy(\.ended) }
    remaining = ended.filter { !$0 }.count
    for (s, subject) in restored.enumerated() {
      if subject.producers.allSatisfy(\.ended) {
        _ = valve.endOfInput(channel: s)
      } else {
        let watermark = subject.producers.map(\.watermark).min() ?? .min
        if watermark > .min { _ = valve.watermark(watermark, channel: s) }
      }
    }
    connection = try transport.connect()
    do {
      try connection.prepare(topology)
      for (s, keyGroup) in keyGroups.enumerated() {
        subjects.append(
          try connection.openSubject(
            stream: topology.stream, subject: topology.subject(keyGroup: keyGroup),
            after: reader.position(ofSubject: s)))
      }
    } catch {
      close()
      throw error
    }
  }

  /// Appends up to `limit` committed records; `.finished` once every subject
  /// ended. Records the reader decided beyond `limit` wait in it (outside
  /// the position, see ``position()``) and come first from their subject at
  /// the next read, as do the watermarks behind them.
  func read(into buffer: inout [Record], limit: Int) throws -> SourceStatus {
    guard remaining > 0 else {
      signals.watermark = .max
      return .finished
    }
    for _ in 0..<subjects.count where buffer.count < limit {
      let s = next
      next = (next + 1) % subjects.count
      guard !ended[s] else { continue }
      for delivery in reader.handOn(subject: s, atMost: limit - buffer.count) {
        try deliver(delivery, into: &buffer)
      }
      if !reader.hasDecided(subject: s),
        reader.undecided(ofSubject: s) < Self.maxUndecided
      {
        let messages = try subjects[s].fetch(max: 256, timeout: .milliseconds(1))
        for incoming in messages {
          let message = try ExchangeMessage.decode(incoming.payload)
          for delivery in reader.receive(
            message, subject: s, sequence: incoming.sequence,
            handingOnAtMost: limit - buffer.count)
          {
            try deliver(delivery, into: &buffer)
          }
        }
      }
      // The buffer is full and this subject has more: it goes first next time.
      if reader.hasDecided(subject: s) {
        next = s
        break
      }
    }
    return remaining == 0 ? .finished : .more
  }

  private func deliver(_ delivery: ExchangeDelivery, into buffer: inout [Record]) throws {
    switch delivery {
    case .records(_, _, let count, let payload, let range):
      let records = try ExchangeBatch.decode(Record.self, count: count, payload: payload)
      buffer.append(contentsOf: records[range])
    case .watermark(let s, let watermark):
      apply(valve.watermark(watermark, channel: s))
    case .idleness(let s, let isIdle):
      apply(valve.idleness(isIdle, channel: s))
    case .endOfInput(let s):
      if !ended[s] {
        ended[s] = true
        remaining -= 1
        apply(valve.endOfInput(channel: s))
      }
    }
  }

  /// Hands the valve's watermark and idleness to the driver, which emits them
  /// after the records of this read: the reader hands on a watermark only
  /// after every record before it.
  private func apply(_ outputs: [WatermarkValve.Output]) {
    for output in outputs {
      switch output {
      case .watermark(let watermark): signals.watermark = watermark
      case .idleness(let idle): signals.idle = idle
      }
    }
  }

  /// Every owned key group's reader state, keyed by key group: exactly what
  /// the task received (records the reader decided but no read took yet are
  /// read again after a restore).
  func position() -> [UInt8] {
    let state = reader.state
    var map: [String: [UInt8]] = [:]
    for (s, keyGroup) in keyGroups.enumerated() {
      map[String(keyGroup)] = ExchangeReaderState(subjects: [state.subjects[s]]).encodedBytes()
    }
    return map.encodedBytes()
  }

  func close() {
    for subject in subjects { subject.close() }
    subjects = []
    connection.close()
  }
}

extension StreamEnvironment {
  /// The source reading this instance's share of `topology`'s exchange
  /// (internal: the plan inserts it in place of a hash edge when the job
  /// runs as several instances).
  func exchangeSource<Record: BinaryCodable & Sendable>(
    _: Record.Type, topology: ExchangeTopology, transport: any ExchangeTransport
  ) -> LogicalNode {
    let stream = source(name: "Exchange \(topology.stream) in", redistributesPositions: true) {
      (context: OperatorContext) -> SourceReader<Record> in
      let reader = try ExchangeSourceReader<Record>(
        topology: topology,
        keyGroups: topology.keyGroups(instance: context.instance, subtask: context.subtaskIndex),
        positions: try SplitDiscovery.positions(restored: context.restoredState),
        transport: transport)
      return SourceReader(
        close: { reader.close() }, position: { reader.position() }, signals: reader.signals,
        read: { buffer, limit in try reader.read(into: &buffer, limit: limit) })
    }
    stream.node.parallelism = topology.consumerParallelism
    return stream.node
  }
}
