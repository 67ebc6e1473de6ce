/// What a trigger decides for a window.
public enum TriggerResult: Sendable {
  /// Do nothing.
  case `continue`
  /// Emit the window's result; keep its contents.
  case fire
  /// Drop the window's contents without emitting.
  case purge
  /// Emit the window's result, then drop its contents.
  case fireAndPurge
}

/// The trigger's view of one window of one key: timers, time, and one
/// `Int64` of trigger state per window (for counts and the like).
/// Valid only during the trigger call it is passed to.
public final class TriggerContext {
  /// The current watermark.
  public var currentWatermark: Int64 { watermark }
  /// The current processing time (ms).
  public var currentProcessingTime: Int64 { processingTime }
  @usableFromInline var watermark: Int64 = .min
  @usableFromInline var processingTime: Int64 = 0
  @usableFromInline var registerTimer: (TimeDomain, Int64) throws -> Void = { _, _ in }
  @usableFromInline var deleteTimer: (TimeDomain, Int64) throws -> Void = { _, _ in }
  @usableFromInline var readValue: () throws -> Int64? = { nil }
  @usableFromInline var writeValue: (Int64?) throws -> Void = { _ in }

  @usableFromInline init() {}

  /// Registers an event-time timer for this key and window.
  public func registerEventTimeTimer(_ time: Int64) throws { try registerTimer(.eventTime, time) }
  /// Deletes an event-time timer of this key and window.
  public func deleteEventTimeTimer(_ time: Int64) throws { try deleteTimer(.eventTime, time) }
  /// Registers a processing-time timer for this key and window.
  public func registerProcessingTimeTimer(_ time: Int64) throws {
    try registerTimer(.processingTime, time)
  }
  /// Deletes a processing-time timer of this key and window.
  public func deleteProcessingTimeTimer(_ time: Int64) throws {
    try deleteTimer(.processingTime, time)
  }
  /// This window's trigger value (kept in the state backend), or `nil`.
  public func value() throws -> Int64? { try readValue() }
  /// Sets (or with `nil` clears) this window's trigger value.
  public func setValue(_ value: Int64?) throws { try writeValue(value) }
}

/// Decides when a window emits its result, as in Flink. Implement it for
/// custom triggers; state goes in ``TriggerContext/value()``.
public protocol WindowTrigger: Sendable {
  /// A record was added to `window`.
  func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  /// An event-time timer of `window` fired.
  func onEventTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  /// A processing-time timer of `window` fired.
  func onProcessingTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  /// `window` was merged from others (sessions): re-register timers for it.
  func onMerge(window: TimeWindow, context: TriggerContext) throws
  /// `window` is gone: delete its timers and state.
  func clear(window: TimeWindow, context: TriggerContext) throws
}

extension WindowTrigger {
  public func onEventTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { .continue }
  public func onProcessingTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { .continue }
  public func onMerge(window: TimeWindow, context: TriggerContext) throws {}
  public func clear(window: TimeWindow, context: TriggerContext) throws {}
}

/// Fires when the watermark passes the window's end (and again for every
/// late record within the allowed lateness). The default for event-time windows.
public struct EventTimeTrigger: WindowTrigger {
  /// Creates the trigger.
  public init() {}
  public func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  {
    if window.maxTimestamp <= context.currentWatermark { return .fire }
    try context.registerEventTimeTimer(window.maxTimestamp)
    return .continue
  }
  public func onEventTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { time == window.maxTimestamp ? .fire : .continue }
  public func onMerge(window: TimeWindow, context: TriggerContext) throws {
    if window.maxTimestamp > context.currentWatermark {
      try context.registerEventTimeTimer(window.maxTimestamp)
    }
  }
  public func clear(window: TimeWindow, context: TriggerContext) throws {
    try context.deleteEventTimeTimer(window.maxTimestamp)
  }
}

/// Fires when the processing-time clock passes the window's end. The default
/// for processing-time windows.
public struct ProcessingTimeTrigger: WindowTrigger {
  /// Creates the trigger.
  public init() {}
  public func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  {
    try context.registerProcessingTimeTimer(window.maxTimestamp)
    return .continue
  }
  public func onProcessingTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { .fire }
  public func onMerge(window: TimeWindow, context: TriggerContext) throws {
    try context.registerProcessingTimeTimer(window.maxTimestamp)
  }
  public func clear(window: TimeWindow, context: TriggerContext) throws {
    try context.deleteProcessingTimeTimer(window.maxTimestamp)
  }
}

/// Fires every `count` records of a window (the count is kept as trigger state).
public struct CountTrigger: WindowTrigger {
  /// Records per firing.
  public let count: Int64
  /// Fires every `count` records.
  public init(_ count: Int64) { self.count = max(1, count) }
  public func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  {
    let seen = (try context.value() ?? 0) + 1
    if seen >= count {
      try context.setValue(nil)
      return .fire
    }
    try context.setValue(seen)
    return .continue
  }
  public func clear(window: TimeWindow, context: TriggerContext) throws {
    try context.setValue(nil)
  }
}

/// Turns every `fire` of `trigger` into `fireAndPurge` (as Flink's PurgingTrigger).
public struct PurgingTrigger<Inner: WindowTrigger>: WindowTrigger {
  /// The wrapped trigger.
  public let trigger: Inner
  /// Wraps `trigger`.
  public init(_ trigger: Inner) { self.trigger = trigger }
  func purging(_ result: TriggerResult) -> TriggerResult {
    switch result {
    case .fire, .fireAndPurge: return .fireAndPurge
    case .purge: return .purge
    case .continue: return .continue
    }
  }
  public func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { purging(try trigger.onElement(timestamp: timestamp, window: window, context: context)) }
  public func onEventTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { purging(try trigger.onEventTime(time, window: window, context: context)) }
  public func onProcessingTime(_ time: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { purging(try trigger.onProcessingTime(time, window: window, context: context)) }
  public func onMerge(window: TimeWindow, context: TriggerContext) throws {
    try trigger.onMerge(window: window, context: context)
  }
  public func clear(window: TimeWindow, context: TriggerContext) throws {
    try trigger.clear(window: window, context: context)
  }
}

/// Never fires (the default of global windows, which need their own trigger).
public struct NeverTrigger: WindowTrigger {
  /// Creates the trigger.
  public init() {}
  public func onElement(timestamp: Int64, window: TimeWindow, context: TriggerContext) throws
    -> TriggerResult
  { .continue }
}
