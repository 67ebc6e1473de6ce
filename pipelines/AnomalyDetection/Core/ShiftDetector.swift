import Tributary

/// State of a ``ShiftDetector`` for one sensor.
public struct ShiftState: BinaryCodable, Equatable {
  /// Holt level of the window means.
  public var level: Double = 0
  /// Holt trend per window.
  public var trend: Double = 0
  /// Exponentially weighted variance of the one-step residuals.
  public var variance: Double = 0
  /// Slow exponentially weighted mean of the trend.
  public var trendMean: Double = 0
  /// Slow exponentially weighted variance of the trend.
  public var trendVariance: Double = 0
  /// Upper and lower CUSUM statistics of the trend's z-score.
  public var cusumUp: Double = 0
  /// See ``cusumUp``.
  public var cusumDown: Double = 0
  /// Windows seen.
  public var count: Int64 = 0
  /// No alert before the window with this count.
  public var quietUntil: Int64 = 0

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    level.encode(to: &writer)
    trend.encode(to: &writer)
    variance.encode(to: &writer)
    trendMean.encode(to: &writer)
    trendVariance.encode(to: &writer)
    cusumUp.encode(to: &writer)
    cusumDown.encode(to: &writer)
    count.encode(to: &writer)
    quietUntil.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.level = try Double.decode(from: &reader)
    state.trend = try Double.decode(from: &reader)
    state.variance = try Double.decode(from: &reader)
    state.trendMean = try Double.decode(from: &reader)
    state.trendVariance = try Double.decode(from: &reader)
    state.cusumUp = try Double.decode(from: &reader)
    state.cusumDown = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.quietUntil = try Int64.decode(from: &reader)
    return state
  }
}

/// Level shifts and drift in the sliding-window means of a sensor.
///
/// The expected next window mean is a Holt forecast (level + trend, so a
/// daily cycle is followed without lag); the residual is scaled by its
/// exponentially weighted spread. A residual of ``shiftThreshold`` spreads is
/// a level shift. Drift is a trend that leaves its usual range: the Holt
/// trend's z-score against its own slow mean and spread (weight
/// ``trendAlpha``) is summed by a two-sided CUSUM (slack ``cusumSlack``),
/// which reports drift at ``cusumThreshold``. After an alert the detector is
/// quiet for ``cooldown`` windows. A pure value: the same windows in the same
/// order give the same alerts.
public struct ShiftDetector: Sendable {
  /// Weight of the newest window mean in the level.
  public var alpha: Double
  /// Weight of the newest level change in the trend.
  public var beta: Double
  /// Weight of the newest residual in the spread.
  public var varianceAlpha: Double
  /// Residual (in spreads) that is a level shift.
  public var shiftThreshold: Double
  /// Weight of the newest trend in the trend's slow mean and spread.
  public var trendAlpha: Double
  /// CUSUM slack per window (in trend spreads).
  public var cusumSlack: Double
  /// CUSUM value that is drift.
  public var cusumThreshold: Double
  /// Windows before the first alert.
  public var warmUp: Int64
  /// Windows before the first drift alert (the trend's usual range must be learned).
  public var driftWarmUp: Int64
  /// Windows after an alert without alerts.
  public var cooldown: Int64

  /// Creates the detector; the defaults are the demo's fixed parameters.
  public init(
    alpha: Double = 0.15, beta: Double = 0.1, varianceAlpha: Double = 0.05,
    shiftThreshold: Double = 6, trendAlpha: Double = 0.01, cusumSlack: Double = 2,
    cusumThreshold: Double = 10, warmUp: Int64 = 48, driftWarmUp: Int64 = 150,
    cooldown: Int64 = 24
  ) {
    self.driftWarmUp = driftWarmUp
    self.trendAlpha = trendAlpha
    self.alpha = alpha
    self.beta = beta
    self.varianceAlpha = varianceAlpha
    self.shiftThreshold = shiftThreshold
    self.cusumSlack = cusumSlack
    self.cusumThreshold = cusumThreshold
    self.warmUp = warmUp
    self.cooldown = cooldown
  }

  /// Feeds one window mean; returns the kind, score and expected range when it is an alert.
  public func observe(_ mean: Double, state: inout ShiftState) -> (
    kind: AlertKind, score: Double, low: Double, high: Double
  )? {
    guard mean.isFinite else { return nil }
    state.count += 1
    if state.count == 1 {
      state.level = mean
      return nil
    }
    let forecast = state.level + state.trend
    let residual = mean - forecast
    let spread = max(state.variance.squareRoot(), 1e-3 * abs(forecast), 1e-9)
    let z = residual / spread
    var result: (kind: AlertKind, score: Double, low: Double, high: Double)?
    let live = state.count > warmUp
    let quiet = state.count < state.quietUntil
    let trendSpread = max(state.trendVariance.squareRoot(), 1e-3 * spread, 1e-12)
    let trendZ = (state.trend - state.trendMean) / trendSpread
    if state.count > driftWarmUp && !quiet {
      state.cusumUp = max(0, state.cusumUp + trendZ - cusumSlack)
      state.cusumDown = max(0, state.cusumDown - trendZ - cusumSlack)
    } else {
      state.cusumUp = 0
      state.cusumDown = 0
    }
    let low = forecast - shiftThreshold * spread
    let high = forecast + shiftThreshold * spread
    if live && !quiet {
      if abs(z) >= shiftThreshold {
        result = (.levelShift, abs(z), low, high)
      } else if max(state.cusumUp, state.cusumDown) >= cusumThreshold {
        result = (.drift, max(state.cusumUp, state.cusumDown), low, high)
      }
      if result != nil {
        state.quietUntil = state.count + cooldown
        state.cusumUp = 0
        state.cusumDown = 0
      }
    }
    // Update the forecast with a clipped residual so that the spread is not
    // inflated by the anomaly itself, while a lasting change is learned.
    let clipped = live ? min(max(residual, -4 * spread), 4 * spread) : residual
    let observed = forecast + clipped
    let newLevel = forecast + alpha * (observed - forecast)
    state.trend += beta * ((newLevel - state.level) - state.trend)
    state.level = newLevel
    state.variance = (1 - varianceAlpha) * (state.variance + varianceAlpha * clipped * clipped)
    // The trend's usual range learns slowly and from clipped values, so a
    // drift stands out for a while.
    let trendDeviation = state.trend - state.trendMean
    let trendClipped =
      state.count > warmUp / 2
      ? min(max(trendDeviation, -4 * trendSpread), 4 * trendSpread) : trendDeviation
    state.trendMean += trendAlpha * trendClipped
    state.trendVariance =
      (1 - trendAlpha) * (state.trendVariance + trendAlpha * trendClipped * trendClipped)
    return result
  }
}
