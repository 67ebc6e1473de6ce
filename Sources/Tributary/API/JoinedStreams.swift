/// Two streams to be joined by key within windows (``DataStream/join(_:)``,
/// Flink's `JoinedStreams`): an inner join emitting one output per pair of a
/// left and a right record with equal keys in the same window. Built on
/// ``CoGroupedStreams`` (same state, triggers and lateness).
public struct JoinedStreams<Left: Sendable, Right: Sendable>: Sendable {
  @usableFromInline let coGrouped: CoGroupedStreams<Left, Right>

  /// Keys left records by `key`.
  public func `where`<Key: BinaryCodable & Hashable>(
    _ key: @escaping @Sendable (Left) -> Key
  ) -> Where<Key> {
    Where(coGrouped: coGrouped.where(key))
  }

  /// The left key is set; give the right one with ``equalTo(_:)``.
  public struct Where<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline let coGrouped: CoGroupedStreams<Left, Right>.Where<Key>

    /// Keys right records by `key`; a left and a right record join when their keys are equal.
    public func equalTo(_ key: @escaping @Sendable (Right) -> Key) -> EqualTo<Key> {
      EqualTo(coGrouped: coGrouped.equalTo(key))
    }
  }

  /// Both keys are set; choose the windows with ``window(_:)``.
  public struct EqualTo<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline let coGrouped: CoGroupedStreams<Left, Right>.EqualTo<Key>

    /// Joins pairs in the same window (any assigner: tumbling, sliding,
    /// session; event or processing time). A pair in two overlapping sliding
    /// windows is emitted once per window, as in Flink.
    public func window(_ assigner: WindowAssigner) -> WithWindow<Key> {
      WithWindow(coGrouped: coGrouped.window(assigner))
    }
  }

  /// Keys and windows are set; configure the trigger and allowed lateness as
  /// on any window, then ``apply(name:_:)``.
  public struct WithWindow<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline var coGrouped: CoGroupedStreams<Left, Right>.WithWindow<Key>

    /// Replaces the assigner's default trigger.
    public func trigger(_ trigger: some WindowTrigger) -> Self {
      WithWindow(coGrouped: coGrouped.trigger(trigger))
    }

    /// Keeps windows for `lateness` after the watermark passed their end:
    /// late records within it make the window fire again with all its pairs.
    public func allowedLateness(_ lateness: Duration) -> Self {
      WithWindow(coGrouped: coGrouped.allowedLateness(lateness))
    }
  }
}

extension JoinedStreams.WithWindow where Left: BinaryCodable, Right: BinaryCodable {
  /// Emits `function(left, right)` for every pair of a left and a right record
  /// with equal keys in a window, whenever that window fires.
  public func apply<Out: Sendable>(
    name: String = "WindowJoin", _ function: @escaping @Sendable (Left, Right) throws -> Out
  ) -> DataStream<Out> {
    coGrouped.apply(name: name) { _, _, lefts, rights, out in
      for left in lefts {
        for right in rights { out.emit(try function(left, right)) }
      }
    }
  }
}

extension DataStream {
  /// Starts a window join of this stream (left) with `other` (right):
  /// `join(other).where { … }.equalTo { … }.window(…).apply { left, right in … }`.
  public func join<Right: Sendable>(_ other: DataStream<Right>) -> JoinedStreams<T, Right> {
    JoinedStreams(coGrouped: CoGroupedStreams(left: self, right: other))
  }
}
