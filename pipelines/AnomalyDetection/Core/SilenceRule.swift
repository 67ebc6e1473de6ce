import Tributary

/// State of a ``SilenceRule`` for one sensor.
public struct SilenceState: BinaryCodable, Equatable {
  /// Largest event time seen.
  public var lastSeen: Int64 = .min
  /// Input line of that reading (-1 when generated).
  public var lastLine: Int32 = -1
  /// Value of that reading.
  public var lastValue: Double = 0
  /// Exponentially weighted gap between readings (ms).
  public var interval: Double = 0
  /// Readings seen.
  public var count: Int64 = 0
  /// The event-time timer that is pending, or `Int64.min` when none.
  public var timerAt: Int64 = .min
  /// The `lastSeen` whose silence was reported (one alert per silence).
  public var reportedFor: Int64 = .min
  /// The key's input ended: no more silence alerts.
  public var ended: Bool = false

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    lastSeen.encode(to: &writer)
    lastLine.encode(to: &writer)
    lastValue.encode(to: &writer)
    interval.encode(to: &writer)
    count.encode(to: &writer)
    timerAt.encode(to: &writer)
    reportedFor.encode(to: &writer)
    ended.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.lastSeen = try Int64.decode(from: &reader)
    state.lastLine = try Int32.decode(from: &reader)
    state.lastValue = try Double.decode(from: &reader)
    state.interval = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.timerAt = try Int64.decode(from: &reader)
    state.reportedFor = try Int64.decode(from: &reader)
    state.ended = try Bool.decode(from: &reader)
    return state
  }
}

/// A silence the rule reports: when (the last reading + the threshold), and
/// the last reading's value and input line.
public struct Silence: Sendable, Equatable {
  /// Alert time: the last reading's time + the threshold.
  public var timeMs: Int64
  /// The last reading's value.
  public var lastValue: Double
  /// The last reading's input line (-1 when generated).
  public var lastLine: Int32

  /// Creates a silence.
  public init(timeMs: Int64, lastValue: Double, lastLine: Int32) {
    self.timeMs = timeMs
    self.lastValue = lastValue
    self.lastLine = lastLine
  }
}

/// The silence rule: a sensor that sends no reading for longer than
/// ``factor`` times its usual gap (at least ``minimumMs``) is silent; the
/// alert's time is the last reading + that threshold.
///
/// It is decided in event time, two ways that always agree: an event-time
/// timer at `lastSeen + threshold` (the alert comes while the sensor is still
/// silent), and, when a reading arrives after a longer gap before the timer
/// fired, at that reading. ``SilenceState/reportedFor`` makes it one alert per
/// silence whichever comes first, so the alerts do not depend on when
/// watermarks happen to arrive.
public struct SilenceRule: Sendable {
  /// Silence threshold in multiples of the usual gap.
  public var factor: Double
  /// Smallest threshold in milliseconds.
  public var minimumMs: Int64
  /// Readings before the rule applies (the usual gap must be known).
  public var warmUp: Int64
  /// Weight of the newest gap in the usual gap.
  public var alpha: Double

  /// Creates the rule; the defaults are the demo's fixed parameters.
  public init(
    factor: Double = 10, minimumMs: Int64 = 1_000, warmUp: Int64 = 10, alpha: Double = 0.05
  ) {
    self.factor = factor
    self.minimumMs = minimumMs
    self.warmUp = warmUp
    self.alpha = alpha
  }

  /// The current silence threshold (ms) for `state`.
  public func threshold(_ state: SilenceState) -> Int64 {
    max(minimumMs, Int64((state.interval * factor).rounded()))
  }

  /// Whether `state` is far enough along for the rule to apply.
  public func isActive(_ state: SilenceState) -> Bool {
    state.count >= warmUp && !state.ended
  }

  /// Feeds one reading at `time`. Returns the silence that ended with this
  /// reading if it was not reported yet (described by the reading before it,
  /// exactly as the timer would have). Afterwards the caller
  /// should make sure a timer is pending (``timerToRegister(_:)``).
  public func observe(time: Int64, value: Double, line: Int32, state: inout SilenceState)
    -> Silence?
  {
    guard time > state.lastSeen else { return nil }  // out of order: not newer
    var silence: Silence?
    if state.count > 0 {
      let limit = threshold(state)
      if isActive(state) && time - state.lastSeen > limit && state.reportedFor != state.lastSeen {
        state.reportedFor = state.lastSeen
        silence = Silence(
          timeMs: state.lastSeen + limit, lastValue: state.lastValue, lastLine: state.lastLine)
      }
      let gap = Double(time - state.lastSeen)
      state.interval = state.count == 1 ? gap : state.interval + alpha * (gap - state.interval)
    }
    state.count += 1
    state.lastSeen = time
    state.lastLine = line
    state.lastValue = value
    return silence
  }

  /// The timer to register after a reading, if none is pending.
  public func timerToRegister(_ state: SilenceState) -> Int64? {
    guard isActive(state), state.timerAt == .min else { return nil }
    return state.lastSeen + threshold(state)
  }

  /// The pending timer fired at `time`: returns the silence when the sensor
  /// is silent (and marks it reported), or the next timer to register.
  public func timerFired(at time: Int64, state: inout SilenceState) -> (
    alert: Silence?, next: Int64?
  ) {
    state.timerAt = .min
    guard isActive(state) else { return (nil, nil) }
    let due = state.lastSeen + threshold(state)
    if due <= time {
      guard state.reportedFor != state.lastSeen else { return (nil, nil) }
      state.reportedFor = state.lastSeen
      return (Silence(timeMs: due, lastValue: state.lastValue, lastLine: state.lastLine), nil)
    }
    return (nil, due)
  }
}
