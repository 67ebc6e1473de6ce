import Synchronization
import Tributary

/// Everything the per-reading detectors keep for one sensor (one `ValueState`
/// entry: one read and one write per reading).
public struct SensorState: BinaryCodable, Equatable {
  /// EWMA spike statistics.
  public var spike = SpikeState()
  /// Stuck-sensor run.
  public var stuck = StuckState()
  /// Silence bookkeeping.
  public var silence = SilenceState()

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    spike.encode(to: &writer)
    stuck.encode(to: &writer)
    silence.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.spike = try SpikeState.decode(from: &reader)
    state.stuck = try StuckState.decode(from: &reader)
    state.silence = try SilenceState.decode(from: &reader)
    return state
  }
}

/// Counts readings across subtasks for the progress line (each subtask adds
/// its count every few thousand readings, not per reading).
public final class ReadingCounter: Sendable {
  private let total = Atomic<Int>(0)
  /// A counter at zero.
  public init() {}
  /// Adds `count` readings.
  public func add(_ count: Int) { total.add(count, ordering: .relaxed) }
  /// Readings counted so far.
  public var value: Int { total.load(ordering: .relaxed) }
}

/// The per-reading detectors of one sensor, in event time: spikes (EWMA
/// z-score), stuck values and silence (event-time timers). Its state is one
/// ``SensorState`` per sensor in keyed `ValueState`, so it is checkpointed and
/// restored with the job. For one sensor's readings in one order it emits the
/// same alerts, whatever the timing of watermarks.
public struct ReadingDetectorFunction: KeyedProcessFunction {
  /// The parameters.
  public let settings: DetectorSettings
  /// Where processed readings are counted (optional).
  public let counter: ReadingCounter?
  private var state: ValueState<SensorState>!
  private var uncounted = 0

  /// Creates the function.
  public init(settings: DetectorSettings, counter: ReadingCounter? = nil) {
    self.settings = settings
    self.counter = counter
  }

  /// Declares the function's keyed state (one `ValueState` entry per sensor).
  public mutating func open(_ context: KeyedContext<Int64>) throws {
    state = try context.state(ValueStateDescriptor<SensorState>("sensor"))
  }

  /// Runs the per-reading detectors on one reading of sensor `context.key` and emits their alerts.
  public mutating func processElement(
    _ reading: Reading, context: KeyedContext<Int64>, out: inout Collector<Alert>
  ) throws {
    var s = try state.value() ?? SensorState()
    if reading.flag == .endOfKey {
      s.silence.ended = true
      try state.update(s)
      return
    }
    uncounted += 1
    if uncounted >= 4096, let counter {
      counter.add(uncounted)
      uncounted = 0
    }
    let sensor = reading.sensor
    if let silence = settings.silence.observe(
      time: reading.timestampMs, value: reading.value, line: reading.line, state: &s.silence)
    {
      out.emit(silenceAlert(sensor: sensor, silence))
    }
    if let hit = settings.spike.observe(reading.value, state: &s.spike) {
      out.emit(
        Alert(
          sensor: sensor, timestampMs: reading.timestampMs, kind: .spike, value: reading.value,
          score: hit.score, expectedLow: hit.low, expectedHigh: hit.high, line: reading.line))
    }
    if let run = settings.stuck.observe(reading.value, state: &s.stuck) {
      out.emit(
        Alert(
          sensor: sensor, timestampMs: reading.timestampMs, kind: .stuck, value: reading.value,
          score: Double(run), expectedLow: reading.value, expectedHigh: reading.value,
          line: reading.line))
    }
    if let timer = settings.silence.timerToRegister(s.silence) {
      s.silence.timerAt = timer
      try context.registerEventTimeTimer(timer)
    }
    try state.update(s)
  }

  /// A silence alert: the value is the last reading's, the expected range the
  /// last value (the sensor was expected to keep reporting), the score the
  /// threshold in usual gaps. Built from the ``Silence`` alone, so the record
  /// path and the timer path give the same alert.
  private func silenceAlert(sensor: Int32, _ silence: Silence) -> Alert {
    Alert(
      sensor: sensor, timestampMs: silence.timeMs, kind: .silent, value: silence.lastValue,
      score: settings.silence.factor, expectedLow: silence.lastValue,
      expectedHigh: silence.lastValue, line: silence.lastLine)
  }

  /// A silence timer fired: emits the silence alert, or moves the timer to the new threshold.
  public mutating func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
    out: inout Collector<Alert>
  ) throws {
    guard var s = try state.value() else { return }
    guard s.silence.timerAt == timestamp else { return }
    // The final watermark of a bounded input fires every timer: the end of
    // the input is not silence.
    if context.currentWatermark == .max {
      s.silence.timerAt = .min
      try state.update(s)
      return
    }
    let result = settings.silence.timerFired(at: timestamp, state: &s.silence)
    if let alert = result.alert {
      out.emit(silenceAlert(sensor: Int32(context.key), alert))
    }
    if let next = result.next {
      s.silence.timerAt = next
      try context.registerEventTimeTimer(next)
    }
    try state.update(s)
  }

  /// Adds the readings not counted yet to the counter.
  public mutating func endOfInput(context: KeyedContext<Int64>, out: inout Collector<Alert>) throws
  {
    if uncounted > 0, let counter { counter.add(uncounted) }
    uncounted = 0
  }
}

/// Level shifts and drift per sensor from its sliding-window features; one
/// ``ShiftState`` per sensor in keyed `ValueState`.
public struct ShiftDetectorFunction: KeyedProcessFunction {
  /// The parameters.
  public let detector: ShiftDetector
  private var state: ValueState<ShiftState>!

  /// Creates the function.
  public init(detector: ShiftDetector) { self.detector = detector }

  /// Declares the function's keyed state (one `ValueState` entry per sensor).
  public mutating func open(_ context: KeyedContext<Int64>) throws {
    state = try context.state(ValueStateDescriptor<ShiftState>("shift"))
  }

  /// Feeds one window's mean to the shift detector and emits its alert, if any.
  public mutating func processElement(
    _ feature: WindowFeature, context: KeyedContext<Int64>, out: inout Collector<Alert>
  ) throws {
    var s = try state.value() ?? ShiftState()
    if let hit = detector.observe(feature.mean, state: &s) {
      out.emit(
        Alert(
          sensor: feature.sensor, timestampMs: feature.lastTimestampMs, kind: hit.kind,
          value: feature.mean, score: hit.score, expectedLow: hit.low, expectedHigh: hit.high,
          line: feature.lastLine))
    }
    try state.update(s)
  }
}
