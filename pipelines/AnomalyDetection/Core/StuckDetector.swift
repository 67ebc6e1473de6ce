import Tributary

/// State of a ``StuckDetector`` for one sensor.
public struct StuckState: BinaryCodable, Equatable {
  /// The previous value.
  public var last: Double = .nan
  /// How many readings in a row had exactly the previous value.
  public var run: Int64 = 0
  /// Exponentially weighted share of readings that repeated the previous value.
  public var repeatRate: Double = 0
  /// Repeat rate when the current run started.
  public var rateAtRunStart: Double = 0
  /// Readings seen.
  public var count: Int64 = 0
  /// The current run was already reported.
  public var reported: Bool = false

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    last.encode(to: &writer)
    run.encode(to: &writer)
    repeatRate.encode(to: &writer)
    rateAtRunStart.encode(to: &writer)
    count.encode(to: &writer)
    reported.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.last = try Double.decode(from: &reader)
    state.run = try Int64.decode(from: &reader)
    state.repeatRate = try Double.decode(from: &reader)
    state.rateAtRunStart = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.reported = try Bool.decode(from: &reader)
    return state
  }
}

/// The stuck-sensor rule: a sensor that normally varies (fewer than
/// ``maxRepeatRate`` of its readings repeat the previous value) reports the
/// same value ``minRun`` times in a row. One alert per run.
///
/// A pure value: the same readings in the same order give the same alerts.
public struct StuckDetector: Sendable {
  /// Repeats in a row that make a sensor stuck.
  public var minRun: Int64
  /// A sensor whose usual repeat rate is above this is never called stuck
  /// (quantised or often-constant series).
  public var maxRepeatRate: Double
  /// Readings before the rule applies.
  public var warmUp: Int64
  /// Weight of the newest reading in the repeat rate.
  public var alpha: Double

  /// Creates the rule; the defaults are the demo's fixed parameters.
  public init(
    minRun: Int64 = 10, maxRepeatRate: Double = 0.02, warmUp: Int64 = 60, alpha: Double = 0.01
  ) {
    self.minRun = minRun
    self.maxRepeatRate = maxRepeatRate
    self.warmUp = warmUp
    self.alpha = alpha
  }

  /// Feeds one reading; returns the run length when this reading makes the
  /// sensor stuck (once per run).
  public func observe(_ value: Double, state: inout StuckState) -> Int64? {
    state.count += 1
    let repeated = value == state.last
    state.last = value
    if repeated {
      if state.run == 0 { state.rateAtRunStart = state.repeatRate }
      state.run += 1
    } else {
      state.run = 0
      state.reported = false
    }
    state.repeatRate += alpha * ((repeated ? 1 : 0) - state.repeatRate)
    if repeated && !state.reported && state.run >= minRun && state.count > warmUp
      && state.rateAtRunStart <= maxRepeatRate
    {
      state.reported = true
      return state.run
    }
    return nil
  }
}
