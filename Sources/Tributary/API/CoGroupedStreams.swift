/// Two streams to be grouped together by key and window
/// (``DataStream/coGroup(_:)``, Flink's `CoGroupedStreams`): name the left
/// key with ``where(_:)``, the right key with `equalTo`, the windows with
/// `window`, then `apply` a function to both sides' records of every key
/// and window — also when one side has none (outer joins are written with it).
public struct CoGroupedStreams<Left: Sendable, Right: Sendable>: Sendable {
  @usableFromInline let left: DataStream<Left>
  @usableFromInline let right: DataStream<Right>

  /// Groups left records by `key`.
  public func `where`<Key: BinaryCodable & Hashable>(
    _ key: @escaping @Sendable (Left) -> Key
  ) -> Where<Key> {
    Where(left: left, right: right, leftKey: key)
  }

  /// The left key is set; give the right one with ``equalTo(_:)``.
  public struct Where<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline let left: DataStream<Left>
    @usableFromInline let right: DataStream<Right>
    @usableFromInline let leftKey: @Sendable (Left) -> Key

    /// Groups right records by `key`; a left and a right record meet when their keys are equal.
    public func equalTo(_ key: @escaping @Sendable (Right) -> Key) -> EqualTo<Key> {
      EqualTo(spec: WindowJoinSpec(left: left, right: right, leftKey: leftKey, rightKey: key))
    }
  }

  /// Both keys are set; choose the windows with ``window(_:)``.
  public struct EqualTo<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline let spec: WindowJoinSpec<Key, Left, Right>

    /// Cuts both streams into the same windows per key (any assigner: tumbling,
    /// sliding, session; event or processing time).
    public func window(_ assigner: WindowAssigner) -> WithWindow<Key> {
      var spec = self.spec
      spec.assigner = assigner
      return WithWindow(spec: spec)
    }
  }

  /// Keys and windows are set; configure the trigger and allowed lateness as
  /// on any window, then ``apply(name:_:)``.
  public struct WithWindow<Key: BinaryCodable & Hashable>: Sendable {
    @usableFromInline var spec: WindowJoinSpec<Key, Left, Right>

    /// Replaces the assigner's default trigger.
    public func trigger(_ trigger: some WindowTrigger) -> Self {
      var copy = self
      copy.spec.trigger = trigger
      return copy
    }

    /// Keeps windows for `lateness` after the watermark passed their end:
    /// late records within it make the window fire again with all its records.
    public func allowedLateness(_ lateness: Duration) -> Self {
      var copy = self
      copy.spec.lateness = lateness
      return copy
    }
  }
}

extension CoGroupedStreams.WithWindow where Left: BinaryCodable, Right: BinaryCodable {
  /// Calls `function(key, window, lefts, rights, out)` whenever a window of a
  /// key fires, with both sides' records of that key and window (each in
  /// arrival order; one list may be empty, never both).
  public func apply<Out: Sendable>(
    name: String = "CoGroup",
    _ function:
      @escaping @Sendable (Key, TimeWindow, [Left], [Right], inout Collector<Out>) throws -> Void
  ) -> DataStream<Out> {
    spec.windowed(name: name).process(name: name) { key, window, records, out in
      var lefts: [Left] = []
      var rights: [Right] = []
      for record in records {
        switch record {
        case .first(let value): lefts.append(value)
        case .second(let value): rights.append(value)
        }
      }
      try function(key, window, lefts, rights, &out)
    }
  }
}

/// What a window join or coGroup is built from: both inputs, their keys, the
/// assigner, trigger and lateness.
@usableFromInline
struct WindowJoinSpec<Key: BinaryCodable & Hashable, Left: Sendable, Right: Sendable>: Sendable {
  let left: DataStream<Left>
  let right: DataStream<Right>
  let leftKey: @Sendable (Left) -> Key
  let rightKey: @Sendable (Right) -> Key
  var assigner: WindowAssigner = .global
  var trigger: (any WindowTrigger)?
  var lateness: Duration?

  /// Both inputs tagged (`.first` left, `.second` right) and united, keyed by
  /// their own key, in the windows: the records of both sides of one key and
  /// window end up in one window's list (Flink builds coGroup the same way).
  func windowed(name: String) -> WindowedStream<Key, TwoInputRecord<Left, Right>> {
    typealias Tagged = TwoInputRecord<Left, Right>
    var tagged = left.map(name: "\(name)Left") { Tagged.first($0) }
      .union(right.map(name: "\(name)Right") { Tagged.second($0) })
    if let leftTime = left.timestampOf, let rightTime = right.timestampOf {
      tagged = tagged.withTimestamps { record in
        switch record {
        case .first(let value): leftTime(value)
        case .second(let value): rightTime(value)
        }
      }
    }
    let leftKey = self.leftKey
    let rightKey = self.rightKey
    var windowed = tagged.keyBy { record in
      switch record {
      case .first(let value): leftKey(value)
      case .second(let value): rightKey(value)
      }
    }.window(assigner)
    if let trigger { windowed = windowed.trigger(trigger) }
    if let lateness { windowed = windowed.allowedLateness(lateness) }
    return windowed
  }
}

extension DataStream {
  /// Starts a window coGroup of this stream (left) with `other` (right):
  /// `coGroup(other).where { … }.equalTo { … }.window(…).apply { key, window, lefts, rights, out in … }`.
  public func coGroup<Right: Sendable>(_ other: DataStream<Right>) -> CoGroupedStreams<T, Right> {
    CoGroupedStreams(left: self, right: other)
  }
}
