import Tributary

/// State of a ``SpikeDetector`` for one sensor: an exponentially weighted mean
/// and variance, how many readings it has seen and until when it stays quiet.
public struct SpikeState: BinaryCodable, Equatable {
  /// Exponentially weighted mean.
  public var mean: Double = 0
  /// Exponentially weighted variance.
  public var variance: Double = 0
  /// Readings seen.
  public var count: Int64 = 0
  /// No alert before the reading with this count (cooldown).
  public var quietUntil: Int64 = 0

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    mean.encode(to: &writer)
    variance.encode(to: &writer)
    count.encode(to: &writer)
    quietUntil.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.mean = try Double.decode(from: &reader)
    state.variance = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.quietUntil = try Int64.decode(from: &reader)
    return state
  }
}

/// Spike detection with an exponentially weighted mean and variance (EWMA):
/// a reading whose z-score `|x − mean| / σ` reaches ``threshold`` after
/// ``warmUp`` readings is reported, then the detector stays quiet for
/// ``cooldown`` readings so that one incident is one alert. Readings update
/// the statistics clipped to `mean ± clip·σ`, so one outlier does not blow up
/// the variance while a lasting change is still learned.
///
/// A pure value: the same readings in the same order give the same alerts.
public struct SpikeDetector: Sendable {
  /// Weight of the newest reading in the mean and variance (0...1).
  public var alpha: Double
  /// z-score that raises an alert.
  public var threshold: Double
  /// Readings before the first alert is allowed.
  public var warmUp: Int64
  /// Readings after an alert during which no further alert is raised.
  public var cooldown: Int64
  /// Updates are clipped to this many standard deviations.
  public var clip: Double

  /// Creates a detector; the defaults are the demo's fixed parameters.
  public init(
    alpha: Double = 0.02, threshold: Double = 5, warmUp: Int64 = 60, cooldown: Int64 = 120,
    clip: Double = 4
  ) {
    self.alpha = alpha
    self.threshold = threshold
    self.warmUp = warmUp
    self.cooldown = cooldown
    self.clip = clip
  }

  /// The spread used for z-scores: the EWMA standard deviation with a floor
  /// relative to the mean, so that a flat series does not alert on rounding.
  public func sigma(_ state: SpikeState) -> Double {
    max(state.variance.squareRoot(), 1e-3 * abs(state.mean), 1e-9)
  }

  /// Feeds one reading; returns the z-score, expected low and high when it is
  /// an alert.
  public func observe(_ value: Double, state: inout SpikeState) -> (
    score: Double, low: Double, high: Double
  )? {
    guard value.isFinite else { return nil }
    state.count += 1
    if state.count == 1 {
      state.mean = value
      state.variance = 0
      return nil
    }
    let sigma = sigma(state)
    let deviation = value - state.mean
    let z = abs(deviation) / sigma
    var result: (score: Double, low: Double, high: Double)?
    if state.count > warmUp && z >= threshold && state.count >= state.quietUntil {
      result = (z, state.mean - threshold * sigma, state.mean + threshold * sigma)
      state.quietUntil = state.count + cooldown
    }
    // Clip the update (after warm-up) so one outlier does not dominate.
    let limit = clip * sigma
    let d = state.count > warmUp ? min(max(deviation, -limit), limit) : deviation
    state.mean += alpha * d
    state.variance = (1 - alpha) * (state.variance + alpha * d * d)
    return result
  }
}
