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

  /// A pair's context.
  @inlinable
  public init(leftTimestamp: Int64, rightTimestamp: Int64, key: Key, currentWatermark: Int64) {
    self.leftTimestamp = leftTimestamp
    self.rightTimestamp = rightTimestamp
    self.key = key
    self.currentWatermark = currentWatermark
  }

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

/// The keyed two-input function behind ``IntervalJoined``: run by
/// ``KeyedCoProcessOperator`` like any ``KeyedCoProcessFunction``.
///
/// Per key, both sides' accepted records sit in one ``ValueState`` holding an
/// ``IntervalJoinBuffer`` (per side, event timestamp → the records of that
/// timestamp), so a record is joined and buffered with one state access. A
/// record joins the other side's buffered records within the bounds, then is
/// buffered itself; a new timestamp gets an event-time clean-up timer at its
/// ``IntervalJoinBounds`` clean-up time. One timer time serves both sides
/// (each side's clean-up time is its timestamp plus a constant). Late records
/// go to the late-data tags or are dropped. Everything lives in keyed state
/// and timers, so it is checkpointed and restored (at any parallelism) by the
/// keyed state backend.
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
  @usableFromInline var buffers: ValueState<IntervalJoinBuffer<Left, Right>>?

  /// A join of pairs within `bounds`, emitting `body`'s outputs; late records
  /// to `leftLate`/`rightLate` when given (else dropped); buffered records
  /// counted by `meter` when given.
  @inlinable
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

  /// Declares the buffers' state.
  @inlinable
  public mutating func open(_ context: KeyedContext<Key>) throws {
    buffers = try context.state(
      ValueStateDescriptor<IntervalJoinBuffer<Left, Right>>("interval-join-buffers"))
  }

  /// Joins a left record with the buffered right records, then buffers it.
  @inlinable
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
    var isNewTime = false
    try buffers!.access.modify { stored in
      var buffer = stored.take() ?? IntervalJoinBuffer()
      defer { stored = buffer }
      for (rightTime, rights) in buffer.rights where bounds.joins(left: time, right: rightTime) {
        let pair = IntervalJoinContext(
          leftTimestamp: time, rightTimestamp: rightTime, key: key, currentWatermark: watermark)
        for right in rights { try body(value, right, pair, &out) }
      }
      isNewTime = buffer.appendLeft(value, at: time)
    }
    meter?.add(1)
    if isNewTime { try context.registerEventTimeTimer(bounds.leftCleanupTime(time)) }
  }

  /// Joins a right record with the buffered left records, then buffers it.
  @inlinable
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
    var isNewTime = false
    try buffers!.access.modify { stored in
      var buffer = stored.take() ?? IntervalJoinBuffer()
      defer { stored = buffer }
      for (leftTime, lefts) in buffer.lefts where bounds.joins(left: leftTime, right: time) {
        let pair = IntervalJoinContext(
          leftTimestamp: leftTime, rightTimestamp: time, key: key, currentWatermark: watermark)
        for left in lefts { try body(left, value, pair, &out) }
      }
      isNewTime = buffer.appendRight(value, at: time)
    }
    meter?.add(1)
    if isNewTime { try context.registerEventTimeTimer(bounds.rightCleanupTime(time)) }
  }

  /// Removes the records whose clean-up time is `timestamp` from both sides
  /// (one state access); an emptied buffer is removed.
  @inlinable
  public func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Key>,
    out: inout Collector<Output>
  ) throws {
    let leftTime = timestamp - bounds.leftRetention
    let rightTime = timestamp - bounds.rightRetention
    let meter = self.meter
    try buffers!.access.modify { stored in
      guard var buffer = stored.take() else { return }
      let removed =
        (buffer.lefts.removeValue(forKey: leftTime)?.count ?? 0)
        + (buffer.rights.removeValue(forKey: rightTime)?.count ?? 0)
      meter?.add(-removed)
      stored = buffer.lefts.isEmpty && buffer.rights.isEmpty ? nil : buffer
    }
  }
}
