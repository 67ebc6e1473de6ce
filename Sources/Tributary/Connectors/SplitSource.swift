import Synchronization

/// One split of a split source (a JetStream subject, a Kafka partition) as a
/// connector reads it: records in the split's order, with a position that a
/// checkpoint keeps. Used by one subtask's task only.
public protocol SourceSplit<Record>: AnyObject, SendableMetatype {
  /// The record type read.
  associatedtype Record: Sendable
  /// Appends at most `limit` records in split order (possibly none, when none
  /// arrived yet) and says whether more may follow (`.finished`: a bounded
  /// split is exhausted). Should not block for long: the subtask reads its
  /// other splits and checkpoints in between.
  func read(into buffer: inout [Record], limit: Int) throws -> SourceStatus
  /// The position after the last record returned (resume point), for checkpoints.
  var position: [UInt8] { get }
  /// Releases resources; called once.
  func close()
}

/// How a split source makes event time: per split, bounded out-of-orderness
/// and idleness (see ``SplitWatermarks``).
public struct SplitWatermarkOptions: Sendable {
  /// How late a record may be within its split, relative to the largest
  /// timestamp read from that split (zero: timestamps are monotonic per split).
  public var maxOutOfOrderness: Duration
  /// After this long without records a split is idle and holds nothing back
  /// (`nil`: a silent split holds the watermark back).
  public var idleTimeout: Duration?
  /// Creates options.
  public init(maxOutOfOrderness: Duration = .zero, idleTimeout: Duration? = nil) {
    self.maxOutOfOrderness = maxOutOfOrderness
    self.idleTimeout = idleTimeout
  }
}

/// The splits a source found when the job started, shared by its subtasks so
/// that all of them assign splits from the same list. Thread-safe.
public final class SplitDiscovery: Sendable {
  private let discover: @Sendable () throws -> [String]
  private let found = Mutex<[String]?>(nil)

  /// Discovers with `discover` (called once, by the first subtask that asks).
  public init(_ discover: @escaping @Sendable () throws -> [String]) { self.discover = discover }

  /// The splits, sorted and without duplicates.
  /// - Throws: what `discover` threw (the next call tries again).
  public func splits() throws -> [String] {
    if let splits = found.withLock({ $0 }) { return splits }
    let splits = Array(Set(try discover())).sorted()
    return found.withLock { state in
      if let existing = state { return existing }
      state = splits
      return splits
    }
  }

  /// The splits subtask `subtask` of `parallelism` reads: the `i`th split
  /// (in sorted order) goes to subtask `i % parallelism`.
  public static func assigned(_ splits: [String], subtask: Int, parallelism: Int) -> [String] {
    splits.enumerated().filter { $0.offset % parallelism == subtask }.map(\.element)
  }

  /// The splits subtask `subtask` of `parallelism` of instance `instance` of
  /// `instances` reads in a scaled-out job: the splits (in the order given)
  /// are dealt round-robin over the instances, then each instance's share
  /// round-robin over its subtasks. Every split goes to exactly one subtask
  /// of one instance; with one instance this is
  /// ``assigned(_:subtask:parallelism:)``.
  public static func assigned(
    _ splits: [String], instance: Int, instances: Int, subtask: Int, parallelism: Int
  ) -> [String] {
    let mine = splits.enumerated().filter { $0.offset % instances == instance }.map(\.element)
    return assigned(mine, subtask: subtask, parallelism: parallelism)
  }

  /// The positions in `restored` (the ``OperatorContext/restoredState`` of a
  /// split source: the encoded split-to-position maps of all former subtasks),
  /// merged into one map.
  /// - Throws: `CodecError` when a checkpointed position map is corrupt.
  public static func positions(restored: [[UInt8]]) throws -> [String: [UInt8]] {
    var merged: [String: [UInt8]] = [:]
    for bytes in restored {
      for (split, position) in try [String: [UInt8]].decode(bytes) { merged[split] = position }
    }
    return merged
  }
}

extension StreamEnvironment {
  /// A source whose input is divided into named splits, read with per-split
  /// watermarks and rescalable positions (Flink's Kafka source model).
  ///
  /// At start the splits are discovered once (`discovery`), sorted, and dealt
  /// to the subtasks round-robin (in a scaled-out job, to the instances
  /// first, then to each instance's subtasks); each subtask opens its splits with `open`
  /// (with the split's checkpointed position, or `nil` to start at the
  /// beginning) and reads them in turn. Positions are part of checkpoints per
  /// split, and a restore at another parallelism deals the splits anew, each
  /// resuming exactly after its position. Each split has its own watermark
  /// generator and idleness (``SplitWatermarks``); the stream carries
  /// `timestamp`. The source ends when every split of every subtask ended
  /// (`bounded`); a subtask without splits ends at once when `bounded`, and
  /// is idle otherwise.
  @inlinable
  public func splitSource<Split: SourceSplit>(
    name: String, discovery: SplitDiscovery, bounded: Bool,
    watermarks: SplitWatermarkOptions,
    timestamp: @escaping @Sendable (Split.Record) -> Int64,
    open:
      @escaping @Sendable (_ split: String, _ position: [UInt8]?, OperatorContext) throws ->
      Split
  ) -> DataStream<Split.Record> {
    source(name: name, redistributesPositions: true, timestamp: timestamp) { context in
      let splits = SplitDiscovery.assigned(
        try discovery.splits(), instance: context.instance, instances: context.instances,
        subtask: context.subtaskIndex, parallelism: context.parallelism)
      let positions = try SplitDiscovery.positions(restored: context.restoredState)
      var opened: [Split] = []
      do {
        for split in splits { opened.append(try open(split, positions[split], context)) }
      } catch {
        for split in opened { split.close() }
        throw error
      }
      let reader = SplitSourceReader(
        splits: opened, names: splits, bounded: bounded, watermarks: watermarks,
        clock: context.processingClock, timestamp: timestamp)
      return SourceReader(
        close: { reader.close() }, position: { reader.position() }, signals: reader.signals,
        read: { buffer, limit in try reader.read(into: &buffer, limit: limit) })
    }
  }
}

/// A subtask's share of a split source: reads its splits in turn and keeps
/// their watermarks. Used by one task only.
@usableFromInline
final class SplitSourceReader<Split: SourceSplit> {
  @usableFromInline let splits: [Split]
  @usableFromInline let names: [String]
  @usableFromInline let bounded: Bool
  @usableFromInline var finished: [Bool]
  @usableFromInline var remaining: Int
  @usableFromInline var next = 0
  @usableFromInline var watermarks: SplitWatermarks
  @usableFromInline let signals = ControlSignals()
  @usableFromInline let clock: any ProcessingClock
  @usableFromInline let timestamp: @Sendable (Split.Record) -> Int64

  @inlinable
  init(
    splits: [Split], names: [String], bounded: Bool, watermarks options: SplitWatermarkOptions,
    clock: any ProcessingClock, timestamp: @escaping @Sendable (Split.Record) -> Int64
  ) {
    self.splits = splits
    self.names = names
    self.bounded = bounded
    self.clock = clock
    self.timestamp = timestamp
    finished = [Bool](repeating: false, count: splits.count)
    remaining = splits.count
    watermarks = SplitWatermarks(
      splits: splits.count, maxOutOfOrderness: options.maxOutOfOrderness.milliseconds,
      idleTimeout: options.idleTimeout?.milliseconds, now: clock.nowMillis())
  }

  /// Reads up to `limit` records, starting with the split after the one
  /// read last.
  @inlinable
  func read(into buffer: inout [Split.Record], limit: Int) throws -> SourceStatus {
    let now = clock.nowMillis()
    if splits.isEmpty {
      apply(watermarks.tick(now: now))
      if bounded {
        signals.watermark = .max
        return .finished
      }
      return .more
    }
    // An equal share of the batch per open split, so that no split starves
    // another; a split with less ready leaves its share to the next ones.
    let share = max(1, limit / max(1, remaining))
    var visited = 0
    while visited < splits.count && buffer.count < limit {
      let index = next
      next = (next + 1) % splits.count
      visited += 1
      guard !finished[index] else { continue }
      let before = buffer.count
      let status = try splits[index].read(
        into: &buffer, limit: min(share, limit - buffer.count))
      if buffer.count > before {
        var largest = Int64.min
        for record in buffer[before...] { largest = max(largest, timestamp(record)) }
        apply(watermarks.records(split: index, maxTimestamp: largest, now: now))
      }
      if case .finished = status {
        finished[index] = true
        remaining -= 1
        apply(watermarks.finish(split: index))
      }
    }
    apply(watermarks.tick(now: now))
    return remaining == 0 ? .finished : .more
  }

  /// Records the valve's outputs as signals for the driver (the latest
  /// watermark and idleness win; the driver orders them).
  @inlinable
  func apply(_ outputs: [WatermarkValve.Output]) {
    for output in outputs {
      switch output {
      case .watermark(let watermark): signals.watermark = watermark
      case .idleness(let idle): signals.idle = idle
      }
    }
  }

  /// Every split's position, keyed by split name.
  @usableFromInline
  func position() -> [UInt8] {
    var map: [String: [UInt8]] = [:]
    for (name, split) in zip(names, splits) { map[name] = split.position }
    return map.encodedBytes()
  }

  @usableFromInline
  func close() { for split in splits { split.close() } }
}
