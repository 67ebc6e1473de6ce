import Testing

@testable import Tributary

/// The exchange's exactly-once protocol (docs/scale-out.md) as pure state
/// machines: the publisher's messages, the reader's decisions, and a
/// randomised simulation of producers and a reader that crash and restore,
/// whose output must be every input record exactly once.
@Suite struct ExchangeProtocolTests {
  static let p0 = ExchangeProducer(instance: 0, subtask: 0)
  static let p1 = ExchangeProducer(instance: 1, subtask: 0)

  static func tag(_ generation: UInt64, _ epoch: Int64, _ sequence: UInt64) -> ExchangeTag {
    ExchangeTag(generation: generation, epoch: epoch, sequence: sequence)
  }

  static func records(_ producer: ExchangeProducer, _ tag: ExchangeTag, _ values: [Int64])
    -> ExchangeMessage
  {
    var writer = BinaryWriter()
    for value in values { value.encode(to: &writer) }
    return .records(producer: producer, tag: tag, count: values.count, payload: writer.bytes)
  }

  /// The record values of `deliveries`, in order.
  static func values(_ deliveries: [ExchangeDelivery]) -> [Int64] {
    deliveries.flatMap { delivery -> [Int64] in
      guard case .records(_, _, let count, let payload, let range) = delivery else { return [] }
      return Array(
        ((try? ExchangeBatch.decode(Int64.self, count: count, payload: payload)) ?? [])[range])
    }
  }

  /// A reader of one subject fed message by message, stream sequences from 1.
  struct OneSubject {
    var reader: ExchangeReader
    var sequence: UInt64 = 0
    init(producers: [ExchangeProducer] = [p0]) {
      reader = ExchangeReader(subjects: 1, producers: producers)
    }
    mutating func feed(_ message: ExchangeMessage, handingOnAtMost maxRecords: Int = .max)
      -> [ExchangeDelivery]
    {
      sequence += 1
      return reader.receive(
        message, subject: 0, sequence: sequence, handingOnAtMost: maxRecords)
    }
  }

  // MARK: Reader

  @Test func recordsWaitForTheirCommitMarker() {
    var s = OneSubject()
    #expect(s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0)).isEmpty)
    #expect(s.feed(Self.records(Self.p0, Self.tag(1, 0, 1), [1, 2])).isEmpty)
    #expect(s.feed(Self.records(Self.p0, Self.tag(1, 0, 2), [3])).isEmpty)
    #expect(s.reader.position(ofSubject: 0) == 1, "nothing after the begin is decided")
    #expect(s.reader.undecided == 2)
    let out = s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 7))
    #expect(Self.values(out) == [1, 2, 3])
    #expect(s.reader.position(ofSubject: 0) == 4)
    #expect(s.reader.undecided == 0)
  }

  @Test func aNewGenerationAbandonsUncommittedEpochs() {
    var s = OneSubject()
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(Self.records(Self.p0, Self.tag(1, 0, 1), [1]))
    #expect(
      Self.values(s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 3))) == [1]
    )
    // Epoch 3: the checkpoint that would close it never completes.
    _ = s.feed(Self.records(Self.p0, Self.tag(1, 3, 2), [2]))
    // Crash; generation 2 resumes from checkpoint 3 and replays.
    #expect(s.feed(.begin(producer: Self.p0, generation: 2, restoredCheckpoint: 3)).isEmpty)
    #expect(s.reader.drops.abandoned == 1)
    _ = s.feed(Self.records(Self.p0, Self.tag(2, 3, 1), [2, 20]))
    let out = s.feed(.commit(producer: Self.p0, generation: 2, epoch: 3, checkpoint: 5))
    #expect(Self.values(out) == [2, 20], "the replayed records, once")
  }

  /// A crash between a checkpoint's completion and its commit markers: the
  /// next generation publishes the markers again before its begin, so the
  /// epoch is kept, not abandoned.
  @Test func recoveryCommitBeforeBeginKeepsTheEpoch() {
    var s = OneSubject()
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(Self.records(Self.p0, Self.tag(1, 0, 1), [1, 2]))
    let out =
      s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 4))
      + s.feed(.begin(producer: Self.p0, generation: 2, restoredCheckpoint: 4))
    #expect(Self.values(out) == [1, 2])
    #expect(s.reader.drops.abandoned == 0)
  }

  @Test func aZombieIsFencedOnceANewerGenerationBegan() {
    var s = OneSubject()
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.begin(producer: Self.p0, generation: 2, restoredCheckpoint: 0))
    _ = s.feed(Self.records(Self.p0, Self.tag(1, 0, 1), [99]))
    #expect(s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 1)).isEmpty)
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    #expect(s.reader.drops.fenced == 2)
    #expect(s.reader.undecided == 0)
  }

  @Test func duplicatesAreHandedOnOnce() {
    var s = OneSubject()
    let batch = Self.records(Self.p0, Self.tag(1, 0, 1), [5])
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(batch)
    _ = s.feed(batch)  // a repeated publish the server did not deduplicate
    let commit = ExchangeMessage.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 2)
    var out = s.feed(commit)
    out += s.feed(batch)
    out += s.feed(commit)
    #expect(Self.values(out) == [5])
    #expect(s.reader.drops.duplicates == 2)
    // The same stream sequence delivered again (a redelivery) is ignored.
    #expect(s.reader.receive(batch, subject: 0, sequence: 2).isEmpty)
  }

  /// Committed records of one producer wait behind another producer's
  /// undecided records on the same subject: the subject is handed on in
  /// stream order, so its position is one number.
  @Test func aSubjectIsHandedOnInStreamOrder() {
    var s = OneSubject(producers: [Self.p0, Self.p1])
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.begin(producer: Self.p1, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(Self.records(Self.p1, Self.tag(1, 0, 1), [10]))
    _ = s.feed(Self.records(Self.p0, Self.tag(1, 0, 1), [1]))
    #expect(s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 2)).isEmpty)
    #expect(s.reader.position(ofSubject: 0) == 2)
    #expect(s.reader.undecided(ofSubject: 0) == 2, "p0's committed batch waits behind p1's")
    let out = s.feed(.commit(producer: Self.p1, generation: 1, epoch: 0, checkpoint: 5))
    #expect(Self.values(out) == [10, 1])
    #expect(s.reader.position(ofSubject: 0) == 6)
  }

  @Test func watermarkIsTheMinimumOverKnownProducers() {
    var s = OneSubject(producers: [Self.p0, Self.p1])
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.watermark(producer: Self.p0, tag: Self.tag(1, 0, 1), watermark: 100))
    let first = s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 1))
    #expect(first.isEmpty, "p1 has said nothing yet: it holds the watermark back")
    _ = s.feed(.begin(producer: Self.p1, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.watermark(producer: Self.p1, tag: Self.tag(1, 0, 1), watermark: 40))
    #expect(
      s.feed(.commit(producer: Self.p1, generation: 1, epoch: 0, checkpoint: 1))
        == [.watermark(subject: 0, watermark: 40)])
    _ = s.feed(.idleness(producer: Self.p1, tag: Self.tag(1, 1, 2), isIdle: true))
    #expect(
      s.feed(.commit(producer: Self.p1, generation: 1, epoch: 1, checkpoint: 2))
        == [.watermark(subject: 0, watermark: 100)], "an idle producer holds nothing back")
    _ = s.feed(.endOfInput(producer: Self.p0, tag: Self.tag(1, 1, 2)))
    _ = s.feed(.endOfInput(producer: Self.p1, tag: Self.tag(1, 2, 3)))
    let ends =
      s.feed(.commit(producer: Self.p0, generation: 1, epoch: 1, checkpoint: 3))
      + s.feed(.commit(producer: Self.p1, generation: 1, epoch: 2, checkpoint: 3))
    #expect(ends.last == .endOfInput(subject: 0))
    #expect(s.reader.watermark(ofSubject: 0) >= 100)
  }

  @Test func uncommittedWatermarksDoNotCount() {
    var s = OneSubject()
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.watermark(producer: Self.p0, tag: Self.tag(1, 0, 1), watermark: 500))
    _ = s.feed(.begin(producer: Self.p0, generation: 2, restoredCheckpoint: 0))
    #expect(s.reader.watermark(ofSubject: 0) == .min, "the abandoned epoch's watermark is gone")
  }

  // MARK: Publisher

  static func publisher(
    generation: UInt64 = 1, restored: ExchangePublisherState? = nil, restoredCheckpoint: Int64 = 0
  ) -> ExchangePublisher<Int64> {
    ExchangePublisher(
      producer: p0, generation: generation, keyGroups: 4, restored: restored,
      restoredCheckpoint: restoredCheckpoint, maxBatchBytes: 24, flushAfterMillis: 5)
  }

  @Test func publisherBatchesPerKeyGroup() {
    var publisher = Self.publisher()
    let begins = publisher.start()
    #expect(begins.map(\.keyGroup) == [0, 1, 2, 3])
    #expect(begins.allSatisfy { if case .begin = $0.message { true } else { false } })
    #expect(publisher.append(1, keyGroup: 2, now: 0).isEmpty)
    #expect(publisher.append(2, keyGroup: 2, now: 1).isEmpty)
    let full = publisher.append(3, keyGroup: 2, now: 2)  // 3 × 8 bytes = 24
    #expect(
      full == [
        ExchangePublish(keyGroup: 2, message: Self.records(Self.p0, Self.tag(1, 0, 1), [1, 2, 3]))
      ])
    #expect(full[0].messageID == "i0s0-k2-g1-n1")
    #expect(publisher.append(4, keyGroup: 0, now: 10).isEmpty)
    #expect(publisher.tick(now: 14).isEmpty)
    #expect(publisher.tick(now: 15).map(\.keyGroup) == [0], "flushed after 5 ms")
  }

  @Test func controlMessagesFollowTheBatchesOnEverySubject() {
    var publisher = Self.publisher()
    _ = publisher.start()
    _ = publisher.append(7, keyGroup: 1, now: 0)
    let out = publisher.watermark(42)
    #expect(out.count == 5)
    #expect(
      out[0] == ExchangePublish(keyGroup: 1, message: Self.records(Self.p0, Self.tag(1, 0, 1), [7]))
    )
    #expect(out[1...].map(\.keyGroup) == [0, 1, 2, 3])
    #expect(out[2].message == .watermark(producer: Self.p0, tag: Self.tag(1, 0, 2), watermark: 42))
  }

  @Test func commitMarkersGoWhereTheEpochPublished() {
    var publisher = Self.publisher()
    _ = publisher.start()
    _ = publisher.append(7, keyGroup: 1, now: 0)
    _ = publisher.append(8, keyGroup: 3, now: 0)
    let (flushed, state) = publisher.barrier(checkpoint: 1)
    #expect(flushed.map(\.keyGroup) == [1, 3])
    #expect(state.pending == [.init(generation: 1, epoch: 0, closedBy: 1, keyGroups: [1, 3])])
    _ = publisher.append(9, keyGroup: 0, now: 0)
    _ = publisher.barrier(checkpoint: 2)  // checkpoint 1 never completes
    #expect(publisher.checkpointCompleted(1).map(\.keyGroup) == [1, 3])
    let markers = publisher.checkpointCompleted(2)
    #expect(
      markers == [
        ExchangePublish(
          keyGroup: 0, message: .commit(producer: Self.p0, generation: 1, epoch: 1, checkpoint: 2))
      ])
    #expect(markers[0].messageID == "i0s0-k0-g1-e1-commit")
    #expect(publisher.pendingEpochs.isEmpty)
    #expect(
      publisher.barrier(checkpoint: 3).state.pending.isEmpty, "an empty epoch needs no commit")
  }

  @Test func aRestoredPublisherCommitsAgainThenBegins() {
    let state = ExchangePublisherState(pending: [
      .init(generation: 1, epoch: 0, closedBy: 4, keyGroups: [2])
    ])
    var publisher = Self.publisher(generation: 2, restored: state, restoredCheckpoint: 4)
    let out = publisher.start()
    #expect(
      out[0]
        == ExchangePublish(
          keyGroup: 2, message: .commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 4)))
    #expect(out[0].messageID == "i0s0-k2-g1-e0-commit", "the same id as the first attempt")
    #expect(
      out[1...].map(\.message)
        == (0..<4).map { _ in .begin(producer: Self.p0, generation: 2, restoredCheckpoint: 4) })
    #expect(publisher.append(1, keyGroup: 0, now: 0).isEmpty)
    #expect(publisher.tick(now: 10)[0].message.tag == Self.tag(2, 4, 1))
  }

  /// A caller that takes fewer records than are decided gets the rest later,
  /// a message in parts, with the watermark behind them last; the state in
  /// between names the first record not handed on, so a reader restored from
  /// it hands on exactly the rest.
  @Test func recordsTakenInPartsResumeAfterTheLastRecordHandedOn() throws {
    var s = OneSubject()
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    let messages: [ExchangeMessage] = [
      Self.records(Self.p0, Self.tag(1, 0, 1), [1, 2, 3, 4, 5]),
      .watermark(producer: Self.p0, tag: Self.tag(1, 0, 2), watermark: 9),
      Self.records(Self.p0, Self.tag(1, 0, 3), [6]),
      .commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 1),
    ]
    var out: [ExchangeDelivery] = []
    for message in messages { out += s.feed(message, handingOnAtMost: 2) }
    #expect(Self.values(out) == [1, 2])
    #expect(!out.contains(.watermark(subject: 0, watermark: 9)))
    #expect(s.reader.hasDecided(subject: 0))
    #expect(s.reader.position(ofSubject: 0) == 1, "the records message is not handed on whole")
    let checkpoint = s.reader.state
    #expect(checkpoint.subjects[0].partlyHandedOn == 2)
    #expect(try ExchangeReaderState.decode(checkpoint.encodedBytes()) == checkpoint)

    // The same reader goes on where it stopped.
    let more = s.reader.handOn(subject: 0, atMost: 2)
    #expect(Self.values(more) == [3, 4])
    #expect(s.reader.state.subjects[0].partlyHandedOn == 4)
    let rest = s.reader.handOn(subject: 0, atMost: 1)
    #expect(Self.values(rest) == [5])
    #expect(rest.last == .watermark(subject: 0, watermark: 9), "the watermark follows record 5")
    #expect(Self.values(s.reader.handOn(subject: 0, atMost: 0)).isEmpty)
    #expect(Self.values(s.reader.handOn(subject: 0, atMost: 5)) == [6])
    #expect(!s.reader.hasDecided(subject: 0))
    #expect(s.reader.position(ofSubject: 0) == 5)
    #expect(s.reader.state.subjects[0].partlyHandedOn == 0)

    // A reader restored from the checkpoint re-reads from the records message
    // and hands on only what the first one had not.
    var restored = ExchangeReader(subjects: 1, producers: [Self.p0], restored: checkpoint)
    var again: [ExchangeDelivery] = []
    for (offset, message) in messages.enumerated() {
      again += restored.receive(message, subject: 0, sequence: UInt64(2 + offset))
    }
    #expect(Self.values(again) == [3, 4, 5, 6])
    #expect(again.contains(.watermark(subject: 0, watermark: 9)))
    #expect(restored.state == s.reader.state)
  }

  @Test func messagesAndStatesRoundTrip() throws {
    let messages: [ExchangeMessage] = [
      .begin(producer: Self.p1, generation: 300, restoredCheckpoint: -1),
      Self.records(Self.p0, Self.tag(2, 9, 1_000), [1, -2]),
      .watermark(producer: Self.p0, tag: Self.tag(1, 0, 1), watermark: .min),
      .idleness(producer: Self.p0, tag: Self.tag(1, 0, 2), isIdle: true),
      .endOfInput(producer: Self.p1, tag: Self.tag(7, 8, 9)),
      .commit(producer: Self.p1, generation: 3, epoch: 4, checkpoint: 5),
    ]
    for message in messages {
      #expect(try ExchangeMessage.decode(message.encodedBytes()) == message)
    }
    #expect(throws: CodecError.self) { try ExchangeMessage.decode([9, 0]) }
    let publisherState = ExchangePublisherState(pending: [
      .init(generation: 1, epoch: 2, closedBy: 3, keyGroups: [0, 127])
    ])
    #expect(try ExchangePublisherState.decode(publisherState.encodedBytes()) == publisherState)
    var s = OneSubject(producers: [Self.p0, Self.p1])
    _ = s.feed(.begin(producer: Self.p0, generation: 1, restoredCheckpoint: 0))
    _ = s.feed(.watermark(producer: Self.p0, tag: Self.tag(1, 0, 1), watermark: 5))
    _ = s.feed(.commit(producer: Self.p0, generation: 1, epoch: 0, checkpoint: 1))
    let state = s.reader.state
    #expect(try ExchangeReaderState.decode(state.encodedBytes()) == state)
  }

  // MARK: Exactly once under crashes

  /// Producers publish a known input through the protocol, with checkpoints
  /// completing at random, crashes (of producers: restart from the latest
  /// completed checkpoint with a new generation and replay; of the reader:
  /// restore its last checkpoint and drop its uncommitted output), repeated
  /// publishes, reads interleaved across subjects in random order, and a
  /// caller taking few records at a time (the rest handed on later, reader
  /// checkpoints in between). The reader's committed output is every input
  /// record exactly once, and every subject ends.
  @Test(arguments: 0..<24)
  func everyRecordExactlyOnceDespiteCrashes(seed: UInt64) throws {
    var rng = SplitMix64(seed: 0xE0 &+ seed)
    let keyGroups = 5
    let producers = (0..<3).map { ExchangeProducer(instance: $0, subtask: 0) }
    let inputSize = 60 + Int(rng.next() % 60)
    func input(_ p: Int) -> [Int64] { (0..<inputSize).map { Int64(p * 1_000_000 + $0) } }
    var streams = Array(repeating: [ExchangeMessage](), count: keyGroups)

    struct Producer {
      var publisher: ExchangePublisher<Int64>
      var generation: UInt64 = 1
      var position = 0
      var nextCheckpoint: Int64 = 1
      /// Barriers taken, not completed: (checkpoint, input position, state).
      var taken: [(id: Int64, position: Int, state: ExchangePublisherState)] = []
      /// The latest completed checkpoint.
      var completed: (id: Int64, position: Int, state: ExchangePublisherState)?
      var markersOwed: Int64?
      var ended = false
      var done = false
    }
    func publish(_ out: [ExchangePublish], _ rng: inout SplitMix64) {
      for item in out {
        streams[item.keyGroup].append(item.message)
        if rng.next() % 20 == 0 { streams[item.keyGroup].append(item.message) }  // a retry
      }
    }
    var ps: [Producer] = []
    for p in producers {
      var publisher = ExchangePublisher<Int64>(
        producer: p, generation: 1, keyGroups: keyGroups, maxBatchBytes: 40,
        flushAfterMillis: 3)
      publish(publisher.start(), &rng)
      ps.append(Producer(publisher: publisher))
    }

    var reader = ExchangeReader(subjects: keyGroups, producers: producers)
    var readerCheckpoint: ExchangeReaderState?
    var read = Array(repeating: UInt64(0), count: keyGroups)
    var committedOutput: [Int64] = []
    var pendingOutput: [Int64] = []
    var endedSubjects = Set<Int>()
    var producerCrashes = 0
    var readerCrashes = 0
    var now: Int64 = 0

    /// The caller takes at most this many records per call: mostly all, at
    /// times a few or none.
    func budget(_ rng: inout SplitMix64) -> Int {
      rng.next() % 4 == 0 ? Int(rng.next() % 4) : .max
    }
    func take(_ out: [ExchangeDelivery]) {
      pendingOutput += Self.values(out)
      for case .endOfInput(let subject) in out { endedSubjects.insert(subject) }
    }
    func readerStep(_ rng: inout SplitMix64) {
      let waiting = (0..<keyGroups).filter { reader.hasDecided(subject: $0) }
      if let s = waiting.randomElement(using: &rng), rng.next() % 2 == 0 {
        take(reader.handOn(subject: s, atMost: budget(&rng)))
        return
      }
      let ready = (0..<keyGroups).filter { read[$0] < UInt64(streams[$0].count) }
      guard let s = ready.randomElement(using: &rng) else { return }
      read[s] += 1
      take(
        reader.receive(
          streams[s][Int(read[s]) - 1], subject: s, sequence: read[s],
          handingOnAtMost: budget(&rng)))
    }

    var steps = 0
    while ps.contains(where: { !$0.done })
      || (0..<keyGroups).contains(where: {
        read[$0] < UInt64(streams[$0].count) || reader.hasDecided(subject: $0)
      })
    {
      steps += 1
      if steps >= 200_000 {
        Issue.record("the simulation did not end")
        break
      }
      now += 1
      let roll = rng.next() % 100
      if roll < 45 {
        readerStep(&rng)
        continue
      }
      if roll < 47 {
        // The reader's checkpoint: its output so far becomes final.
        readerCheckpoint = reader.state
        committedOutput += pendingOutput
        pendingOutput = []
        continue
      }
      if roll < 48 {
        // The reader crashes: back to its checkpoint.
        reader = ExchangeReader(
          subjects: keyGroups, producers: producers, restored: readerCheckpoint)
        for s in 0..<keyGroups { read[s] = reader.position(ofSubject: s) }
        pendingOutput = []
        endedSubjects.removeAll()
        if let state = readerCheckpoint {
          for s in 0..<keyGroups where state.subjects[s].producers.allSatisfy(\.ended) {
            endedSubjects.insert(s)
          }
        }
        readerCrashes += 1
        continue
      }
      let i = Int(rng.next() % UInt64(ps.count))
      if ps[i].done { continue }
      let action = rng.next() % 100
      if action < 60, ps[i].position < inputSize {
        let value = input(i)[ps[i].position]
        ps[i].position += 1
        publish(
          ps[i].publisher.append(value, keyGroup: Int(value % Int64(keyGroups)), now: now), &rng)
      } else if action < 65 {
        publish(ps[i].publisher.tick(now: now), &rng)
      } else if action < 68 {
        publish(ps[i].publisher.watermark(Int64(ps[i].position)), &rng)
      } else if action < 76 {
        let id = ps[i].nextCheckpoint
        ps[i].nextCheckpoint += 1
        let (out, state) = ps[i].publisher.barrier(checkpoint: id)
        publish(out, &rng)
        ps[i].taken.append((id, ps[i].position, state))
      } else if action < 84, let last = ps[i].taken.last {
        // The latest barrier's checkpoint completes (older ones are subsumed).
        ps[i].completed = last
        ps[i].taken = []
        ps[i].markersOwed = last.id
      } else if action < 92, let owed = ps[i].markersOwed {
        publish(ps[i].publisher.checkpointCompleted(owed), &rng)
        ps[i].markersOwed = nil
      } else if action < 94, ps[i].position < inputSize || !ps[i].ended {
        // The producer crashes: restart from the latest completed checkpoint.
        producerCrashes += 1
        let restored = ps[i].completed
        ps[i].generation += 1
        var publisher = ExchangePublisher<Int64>(
          producer: producers[i], generation: ps[i].generation, keyGroups: keyGroups,
          restored: restored?.state, restoredCheckpoint: restored?.id ?? 0, maxBatchBytes: 40,
          flushAfterMillis: 3)
        publish(publisher.start(), &rng)
        ps[i].publisher = publisher
        ps[i].position = restored?.position ?? 0
        ps[i].taken = []
        ps[i].markersOwed = nil
        ps[i].ended = false
      } else if ps[i].position == inputSize && !ps[i].ended {
        publish(ps[i].publisher.endOfInput(), &rng)
        ps[i].ended = true
      }
      // A finished producer's final checkpoint: barrier, completion, markers.
      if ps[i].ended && !ps[i].done && rng.next() % 4 == 0 {
        let id = ps[i].nextCheckpoint
        ps[i].nextCheckpoint += 1
        let (out, state) = ps[i].publisher.barrier(checkpoint: id)
        publish(out, &rng)
        publish(ps[i].publisher.checkpointCompleted(id), &rng)
        ps[i].completed = (id, ps[i].position, state)
        ps[i].taken = []
        ps[i].markersOwed = nil
        ps[i].done = true
      }
    }
    committedOutput += pendingOutput
    #expect(producerCrashes > 0 && readerCrashes > 0)
    let expected = (0..<producers.count).flatMap(input)
    expectSameElements(committedOutput, expected)
    #expect(endedSubjects == Set(0..<keyGroups))
    #expect(reader.undecided == 0)
  }
}
