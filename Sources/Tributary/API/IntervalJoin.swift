/// Two keyed streams about to be interval-joined (``KeyedStream/intervalJoin(_:)``);
/// give the bounds with ``between(_:_:)``.
public struct IntervalJoin<Key: BinaryCodable & Hashable, Left: Sendable, Right: Sendable>:
  Sendable
{
  /// The left input.
  public let left: KeyedStream<Key, Left>
  /// The right input.
  public let right: KeyedStream<Key, Right>

  /// Joins each left record at `t` with the right records of its key at
  /// `t + lower ... t + upper` (both inclusive; either bound may be negative).
  /// - Precondition: `lower <= upper` (checked when the join is built).
  public func between(_ lower: Duration, _ upper: Duration) -> IntervalJoined<Key, Left, Right> {
    IntervalJoined(left: left, right: right, lower: lower, upper: upper)
  }
}

/// An interval join with its bounds (Flink's `IntervalJoined`): optionally
/// make a bound exclusive or send late records to side outputs, then
/// ``process(name:meter:_:)`` the joined pairs.
///
/// In event time: a pair is emitted once for every left record `l` and right
/// record `r` with the same key and `l.timestamp + lower <= r.timestamp <=
/// l.timestamp + upper`, whatever the order in which they arrive. Each side's
/// records stay in keyed state only until the watermark makes a future match
/// impossible. A record is late — dropped, or sent to its late-data tag — when
/// it is behind the watermark by more than the interval allows (see
/// ``IntervalJoinBounds``); records within the watermark are never late.
public struct IntervalJoined<Key: BinaryCodable & Hashable, Left: Sendable, Right: Sendable>:
  Sendable
{
  @usableFromInline let left: KeyedStream<Key, Left>
  @usableFromInline let right: KeyedStream<Key, Right>
  @usableFromInline let lower: Duration
  @usableFromInline let upper: Duration
  @usableFromInline var lowerExclusive = false
  @usableFromInline var upperExclusive = false
  @usableFromInline var leftLate: OutputTag<Left>?
  @usableFromInline var rightLate: OutputTag<Right>?

  init(
    left: KeyedStream<Key, Left>, right: KeyedStream<Key, Right>, lower: Duration, upper: Duration
  ) {
    self.left = left
    self.right = right
    self.lower = lower
    self.upper = upper
  }

  /// Excludes the lower bound: `r.timestamp > l.timestamp + lower`.
  public func lowerBoundExclusive() -> Self {
    var copy = self
    copy.lowerExclusive = true
    return copy
  }

  /// Excludes the upper bound: `r.timestamp < l.timestamp + upper`.
  public func upperBoundExclusive() -> Self {
    var copy = self
    copy.upperExclusive = true
    return copy
  }

  /// Sends late left records to `tag` (read them with `sideOutput(tag)` on
  /// the join's result) instead of dropping them.
  public func sideOutputLeftLateData(_ tag: OutputTag<Left>) -> Self {
    var copy = self
    copy.leftLate = tag
    return copy
  }

  /// Sends late right records to `tag` (read them with `sideOutput(tag)` on
  /// the join's result) instead of dropping them.
  public func sideOutputRightLateData(_ tag: OutputTag<Right>) -> Self {
    var copy = self
    copy.rightLate = tag
    return copy
  }

  /// The bounds in milliseconds, exclusive ends applied.
  /// - Precondition: they are not empty.
  public var bounds: IntervalJoinBounds {
    IntervalJoinBounds(
      lower: lower, upper: upper, lowerExclusive: lowerExclusive, upperExclusive: upperExclusive)
  }
}

extension IntervalJoined where Left: BinaryCodable, Right: BinaryCodable, Key: Sendable {
  /// Calls `body(left, right, context, out)` once per joined pair; it may
  /// emit any number of outputs (and side outputs). Both inputs need event
  /// timestamps (the job fails otherwise). `meter`, when given, counts the
  /// records buffered in state.
  @inlinable
  public func process<Out: Sendable>(
    name: String = "IntervalJoin", meter: IntervalJoinStateMeter? = nil,
    _ body:
      @escaping @Sendable (Left, Right, IntervalJoinContext<Key>, inout Collector<Out>) throws ->
      Void
  ) -> DataStream<Out> {
    let function = IntervalJoinFunction<Key, Left, Right, Out>(
      bounds: bounds, leftLate: leftLate, rightLate: rightLate, meter: meter, body: body)
    return left.connect(right).process(name: name, function)
  }
}

extension KeyedStream {
  /// Starts an interval join of this keyed stream (the left side) with
  /// `other` (the right side, same key type); continue with
  /// ``IntervalJoin/between(_:_:)``.
  public func intervalJoin<Right: Sendable>(_ other: KeyedStream<Key, Right>) -> IntervalJoin<
    Key, T, Right
  > {
    IntervalJoin(left: self, right: other)
  }
}
