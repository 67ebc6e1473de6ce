/// Decides which windows a record belongs to.
///
/// Event-time assigners use the record's timestamp; processing-time assigners
/// use the processing clock when the record is processed. Tumbling and
/// sliding windows are aligned to the epoch plus `offset`.
public struct WindowAssigner: Sendable {
  @usableFromInline
  enum Kind: Sendable {
    case tumbling(size: Int64, offset: Int64)
    case sliding(size: Int64, slide: Int64, offset: Int64)
    case session(gap: Int64)
    case global
  }
  @usableFromInline let kind: Kind
  /// Which clock the windows follow.
  public let domain: TimeDomain

  @usableFromInline
  init(kind: Kind, domain: TimeDomain) {
    self.kind = kind
    self.domain = domain
  }

  /// Fixed-size, non-overlapping event-time windows.
  public static func tumbling(_ size: Duration, offset: Duration = .zero) -> Self {
    Self(kind: .tumbling(size: size.milliseconds, offset: offset.milliseconds), domain: .eventTime)
  }

  /// Fixed-size, non-overlapping processing-time windows.
  public static func tumblingProcessingTime(_ size: Duration, offset: Duration = .zero) -> Self {
    Self(
      kind: .tumbling(size: size.milliseconds, offset: offset.milliseconds), domain: .processingTime
    )
  }

  /// Event-time windows of `size` starting every `slide` (a record is in size/slide windows).
  public static func sliding(_ size: Duration, slide: Duration, offset: Duration = .zero) -> Self {
    Self(
      kind: .sliding(
        size: size.milliseconds, slide: slide.milliseconds, offset: offset.milliseconds),
      domain: .eventTime)
  }

  /// Processing-time sliding windows.
  public static func slidingProcessingTime(
    _ size: Duration, slide: Duration, offset: Duration = .zero
  ) -> Self {
    Self(
      kind: .sliding(
        size: size.milliseconds, slide: slide.milliseconds, offset: offset.milliseconds),
      domain: .processingTime)
  }

  /// Event-time sessions: records closer than `gap` (or exactly `gap` apart,
  /// as in Flink) fall in one window, which grows as records arrive.
  public static func session(gap: Duration) -> Self {
    Self(kind: .session(gap: gap.milliseconds), domain: .eventTime)
  }

  /// Processing-time sessions.
  public static func sessionProcessingTime(gap: Duration) -> Self {
    Self(kind: .session(gap: gap.milliseconds), domain: .processingTime)
  }

  /// One window for all records of a key; it fires only through a trigger
  /// (for example ``CountTrigger``).
  public static var global: Self { Self(kind: .global, domain: .eventTime) }

  /// Whether windows merge (sessions).
  @inlinable
  public var isMerging: Bool {
    if case .session = kind { return true }
    return false
  }

  /// Whether every record belongs to exactly one window (tumbling, global).
  @inlinable
  public var isSingleWindow: Bool {
    switch kind {
    case .tumbling, .global: return true
    case .sliding, .session: return false
    }
  }

  /// Whether this is the global window assigner.
  @inlinable
  public var isGlobal: Bool {
    if case .global = kind { return true }
    return false
  }

  /// The only window of a record at `timestamp` for single-window assigners
  /// (tumbling, global); `nil` for the others.
  @inlinable
  public func singleWindow(_ timestamp: Int64) -> TimeWindow? {
    switch kind {
    case .tumbling(let size, let offset):
      let start = timestamp - positiveModulo(timestamp - offset, size)
      return TimeWindow(start: start, end: start + size)
    case .global:
      return .global
    case .sliding, .session:
      return nil
    }
  }

  /// Calls `body` with each window of a record at `timestamp`.
  @inlinable
  public func forEachWindow(_ timestamp: Int64, _ body: (TimeWindow) throws -> Void) rethrows {
    switch kind {
    case .tumbling(let size, let offset):
      let start = timestamp - positiveModulo(timestamp - offset, size)
      try body(TimeWindow(start: start, end: start + size))
    case .sliding(let size, let slide, let offset):
      let lastStart = timestamp - positiveModulo(timestamp - offset, slide)
      var start = lastStart
      while start > timestamp - size {
        try body(TimeWindow(start: start, end: start + size))
        start -= slide
      }
    case .session(let gap):
      try body(TimeWindow(start: timestamp, end: timestamp + gap))
    case .global:
      try body(.global)
    }
  }

  @inlinable
  func positiveModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
    let r = value % divisor
    return r < 0 ? r + divisor : r
  }
}
