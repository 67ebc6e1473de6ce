import Tributary

extension StreamEnvironment {
  /// The first `events` Nexmark events (event numbers `0..<events`) as a
  /// bounded source, with event timestamps (`dateTime`) and a bounded
  /// out-of-orderness watermark of `configuration.outOfOrdernessMillis` (4 s by
  /// default, as Nexmark's DDL). Subtask `s` of `P` generates the event numbers
  /// ≡ `s` mod `P`; since each event is a function of its number alone, the
  /// stream is the same N events at every parallelism. Its position is
  /// checkpointed, so a restored job continues where it stopped.
  /// With `ratePerSecond`, the source emits at most that many events per
  /// second of wall-clock time over all subtasks (for demos and kill tests);
  /// without, as fast as it can. Traps when `configuration` is invalid
  /// (check with ``NexmarkConfiguration/validate()``).
  public func nexmark(
    events: Int, configuration: NexmarkConfiguration = NexmarkConfiguration(),
    ratePerSecond: Double? = nil
  ) -> DataStream<NexmarkEvent> {
    var generator = NexmarkGenerator(configuration: configuration)
    // One copy of the shared strings per subtask of the source (as it is
    // built; a parallelism set on the stream afterwards only costs sharing).
    let subtasks = self.configuration.parallelism * self.configuration.instances.count
    generator.stringCopies = max(1, min(subtasks, Vocabulary.copies))
    return generate(count: events, ratePerSecond: ratePerSecond, name: "Nexmark") {
      [generator] in generator.event(Int64($0))
    }
    // Each subtask generates its event numbers in increasing order, so its
    // timestamps ascend: the watermark needs only each batch's last event.
    .assignTimestampsAndWatermarks(
      .boundedOutOfOrderness(.milliseconds(configuration.outOfOrdernessMillis)) {
        $0.dateTime
      }.withAscendingTimestamps())
  }
}

extension DataStream where T == NexmarkEvent {
  /// The persons of the stream, with their `dateTime` as timestamp.
  public var persons: DataStream<Person> {
    compactMap(name: "Persons") { $0.person }.withTimestamps { $0.dateTime }
  }

  /// The auctions of the stream, with their `dateTime` as timestamp.
  public var auctions: DataStream<Auction> {
    compactMap(name: "Auctions") { $0.auction }.withTimestamps { $0.dateTime }
  }

  /// The bids of the stream, with their `dateTime` as timestamp.
  public var bids: DataStream<Bid> {
    compactMap(name: "Bids") { $0.bid }.withTimestamps { $0.dateTime }
  }
}

extension DataStream where T == NexmarkEvent {
  /// What `persons` and `auctions` make of the persons and auctions of the
  /// stream (`nil`: dropped), computed in one operator chained to the source,
  /// the auctions' part through a side output: a filter and projection pushed
  /// down to the source. For queries that read both but no bids (q3, q8):
  /// reading ``persons`` and ``auctions`` consumes the stream twice, and a
  /// stream consumed twice is not chained, so every event, bids (92 %)
  /// included, would travel to two further tasks; here only what the query
  /// keeps leaves the source's task. The outputs carry no timestamps; set
  /// them with `withTimestamps`. Call it once per stream. `persons` and `auctions` own the
  /// record they are given, as `process`'s function owns the event: one that keeps the
  /// record whole (q3's `persons`) moves it instead of copying its strings.
  public func personsAndAuctions<P: Sendable, A: Sendable>(
    name: String = "PersonsAndAuctions",
    persons: @escaping @Sendable (consuming Person) -> P?,
    auctions: @escaping @Sendable (consuming Auction) -> A?
  ) -> (persons: DataStream<P>, auctions: DataStream<A>) {
    let auctionsTag = OutputTag<A>("auctions")
    let picked = process(name: name) { (event: consuming NexmarkEvent, out: inout Collector<P>) in
      switch consume event {
      case .person(let person): if let kept = persons(consume person) { out.emit(kept) }
      case .auction(let auction):
        if let kept = auctions(consume auction) { out.emit(kept, to: auctionsTag) }
      case .bid: break
      }
    }
    return (picked, picked.sideOutput(auctionsTag))
  }
}
