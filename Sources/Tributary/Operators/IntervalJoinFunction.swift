import Synchronization

/// What an interval join's function sees of a joined pair besides the two
/// records: both event timestamps and the key (Flink's
/// `ProcessJoinFunction.Context`).
public struct IntervalJoinContext<Key: Sendable>: Sendable {
  /// The left record's event timestamp (ms).
  public let leftTimestamp: Int64
  /// The right record's event timestamp (ms).
  public let rightTimestamp: Int64
  /// The key both records share.
  public let key: Key
  /// The operator's event time (its last watermark) when the pair was found.
  public let currentWatermark: Int64

  /// The pair's timestamp: the larger of both (as in Flink).
  @inlinable public var timestamp: Int64 { max(leftTimestamp, rightTimestamp) }
}

/// Why an interval join failed.
public enum IntervalJoinError: Error, CustomStringConvertible {
  /// A record reached the join without an event timestamp: both inputs need
  /// `assignTimestampsAndWatermarks` (or `withTimestamps`) upstream.
  case missingTimestamp(side: String)

  /// A human-readable reason.
  public var description: String {
    switch self {
    case .missingTimestamp(let side):
      "interval join: a \(side) record has no event timestamp; assign timestamps and watermarks "
        + "to both inputs before joining"
    }
  }
}

/// Counts the records an interval join buffers in keyed state, summed over
/// its subtasks: the current number and the peak since the meter was made.
/// Counts only what this process buffered (restored records are not counted).
/// Thread-safe.
public final class IntervalJoinStateMeter: Sendable {
  private let current = Atomic<Int>(0)
  private let highest = Atomic<Int>(0)

  /// A meter at zero.
  public init() {}

  /// The records buffered now (left and right, all subtasks).
  public var buffered: Int { current.load(ordering: .relaxed) }
  /// The largest number of records buffered at once.
  public var peak: Int { highest.load(ordering: .relaxed) }

  @usableFromInline
  func add(_ count: Int) {
    let now = current.add(count, ordering: .relaxed).newValue
    if count > 0 { highest.max(now, ordering: .relaxed) }
  }
}

/// The keyed two-input function behind ``IntervalJoin``: run by
/// ``KeyedCoProcessOperator`` like any ``KeyedCoProcessFunction``.
///
/// Per key, each side's accepted records sit in a ``MapState`` from event
/// timestamp to the records of that timestamp. A record joins the other
/// side's buffered records within the bounds, then is buffered itself with an
/// event-time clean-up timer at its ``IntervalJoinBounds`` clean-up time; one
/// timer time serves both sides (each side's clean-up time is its timestamp
/// plus a constant). Late records go to the late-data tags or are dropped.
/// Everything lives in keyed state and timers, so it is checkpointed and
/// restored (at any parallelism) by the keyed state backend.
public struct IntervalJoinFunction<
  Key: BinaryCodable & Hashable & Sendable, Left: BinaryCodable & Sendable,
  Right: BinaryCodable & Sendable, Output: Sendable
>: KeyedCoProcessFunction {
  /// Emits the outputs of one joined pair.
  public typealias Body =
    @Sendable (Left, Right, IntervalJoinContext<Key>, inout Collector<Output>) throws -> Void

  @usableFromInline let bounds: IntervalJoinBounds
  @usableFromInline let body: Body
  @usableFromInline let leftLate: OutputTag<Left>?
  @usableFromInline let rightLate: OutputTag<Right>?
  @usableFromInline let meter: IntervalJoinStateMeter?
  @usableFromInline var leftBuffer: MapState<Int64, [Left]>?
  @usableFromInline var rightBuffer: MapState<Int64, [Right]>?

  /// A join of pairs within `bounds`, emitting `body`'s outputs; late records
  /// to `leftLate`/`rightLate` when given (else dropped); buffered records
  /// counted by `meter` when given.
  public init(
    bounds: IntervalJoinBounds, leftLate: OutputTag<Left>?, rightLate: OutputTag<Right>?,
    meter: IntervalJoinStateMeter?, body: @escaping Body
  ) {
    self.bounds = bounds
    self.leftLate = leftLate
    self.rightLate = rightLate
    self.meter = meter
    self.body = body
  }

  /// Declares the two buffers.
  public mutating func open(_ context: KeyedContext<Key>) throws {
    leftBuffer = try context.state(MapStateDescriptor<Int64, [Left]>("interval-join-left"))
    rightBuffer = try context.state(MapStateDescriptor<Int64, [Right]>("interval-join-right"))
  }

  /// Joins a left record with the buffered right records, then buffers it.
  public func processElement1(
    _ value: Left, context: KeyedContext<Key>, out: inout Collector<Output>
  ) throws {
    guard let time = context.timestamp else {
      throw IntervalJoinError.missingTimestamp(side: "left")
    }
    let watermark = context.currentWatermark
    if bounds.isLateLeft(time, watermark: watermark) {
      if let leftLate { out.emit(value, to: leftLate) }
      return
    }
    let key = context.key
    for (rightTime, rights) in try rightBuffer!.entries()
    where bounds.joins(left: time, right: rightTime) {
      let pair = IntervalJoinContext(
        leftTimestamp: time, rightTimestamp: rightTime, key: key, currentWatermark: watermark)
      for right in rights { try body(value, right, pair, &out) }
    }
    try buffer(value, at: time, in: leftBuffer!)
    try context.registerEventTimeTimer(bounds.leftCleanupTime(time))
  }

  /// Joins a right record with the buffered left records, then buffers it.
  public func processElement2(
    _ value: Right, context: KeyedContext<Key>, out: inout Collector<Output>
  ) throws {
    guard let time = context.timestamp else {
      throw IntervalJoinError.missingTimestamp(side: "right")
    }
    let watermark = context.currentWatermark
    if bounds.isLateRight(time, watermark: watermark) {
      if let rightLate { out.emit(value, to: rightLate) }
      return
    }
    let key = context.key
    for (leftTime, lefts) in try leftBuffer!.entries()
    where bounds.joins(left: leftTime, right: time) {
      let pair = IntervalJoinContext(
        leftTimestamp: leftTime, rightTimestamp: time, key: key, currentWatermark: watermark)
      for left in lefts { try body(left, value, pair, &out) }
    }
    try buffer(value, at: time, in: rightBuffer!)
    try context.registerEventTimeTimer(bounds.rightCleanupTime(time))
  }

  /// Removes the records whose clean-up time is `timestamp` from both buffers.
  public func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>
  ) throws {
    try evict(timestamp - bounds.leftRetention, from: leftBuffer!)
    try evict(timestamp - bounds.rightRetention, from: rightBuffer!)
  }

  @inlinable
  func buffer<R>(_ value: R, at time: Int64, in state: MapState<Int64, [R]>) throws {
    if var records = try state.get(time) {
      records.append(value)
      try state.put(time, records)
    } else {
      try state.put(time, [value])
    }
    meter?.add(1)
  }

  @inlinable
  func evict<R>(_ time: Int64, from state: MapState<Int64, [R]>) throws {
    if let meter {
      guard let records = try state.get(time) else { return }
      meter.add(-records.count)
    }
    try state.remove(time)
  }
}
