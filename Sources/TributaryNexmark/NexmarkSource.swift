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
    let generator = NexmarkGenerator(configuration: configuration)
    return generate(count: events, ratePerSecond: ratePerSecond, name: "Nexmark") {
      generator.event(Int64($0))
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
