import Foundation

/// An injected anomaly: the ground truth of the generated stream.
public struct InjectedAnomaly: Sendable, Equatable {
  /// The sensor.
  public var sensor: Int32
  /// What was injected (`spike`, `level_shift`, `drift`, `stuck`, `silent`).
  public var kind: AlertKind
  /// First affected event time (ms).
  public var startMs: Int64
  /// Last affected event time (ms).
  public var endMs: Int64
}

/// A deterministic multi-sensor stream with injected anomalies.
///
/// Reading `i` is sensor `i % sensors` at tick `i / sensors`; its value is a
/// per-sensor level, daily cycle, slow trend and noise, all derived from
/// `seed` by hashing, so any reading can be computed on its own (restarts
/// resume at any index). Timestamps are the tick times plus up to
/// ``jitterMs`` of jitter either way, so the stream is out of order by up to
/// twice that. Every ``anomalyEvery``-th sensor (chosen by hash) gets one
/// anomaly, the kinds taking turns: a spike, a level shift (1–4 h), a gradual
/// drift (3–8 h, then back), a stuck value (1–3 h) or silence (20–90 min),
/// placed between 20 % and 85 % of the run.
public struct SensorGenerator: Sendable {
  /// Number of sensors (keys).
  public let sensors: Int
  /// Readings per sensor.
  public let ticks: Int
  /// Time between two readings of a sensor (ms).
  public let intervalMs: Int64
  /// Largest timestamp jitter either way (ms).
  public let jitterMs: Int64
  /// Seed of every random choice.
  public let seed: UInt64
  /// Event time of tick 0 (2026-01-01T00:00:00Z).
  public let startMs: Int64
  /// One sensor in this many gets an anomaly.
  public let anomalyEvery: Int
  /// The injected anomalies, by sensor (`nil` for clean sensors).
  public let anomalies: [InjectedAnomaly?]
  private let onsets: [Int]
  private let lengths: [Int]
  private let magnitudes: [Double]
  /// Per sensor: level, noise σ, daily amplitude, phase and trend per day.
  private let shapes:
    [(level: Double, sigma: Double, amplitude: Double, phase: Double, trend: Double)]

  /// Creates a generator.
  public init(
    sensors: Int = 1_000, ticks: Int, intervalMs: Int64 = 30_000, jitterMs: Int64 = 3_000,
    seed: UInt64 = 7, anomalyEvery: Int = 10
  ) {
    precondition(sensors > 0 && ticks > 0 && intervalMs > 0, "sizes must be positive")
    self.sensors = sensors
    self.ticks = ticks
    self.intervalMs = intervalMs
    self.jitterMs = jitterMs
    self.seed = seed
    self.anomalyEvery = max(1, anomalyEvery)
    self.startMs = Int64(Timestamps.daysFromCivil(year: 2026, month: 1, day: 1)) * 86_400_000
    var anomalies: [InjectedAnomaly?] = []
    var onsets: [Int] = []
    var lengths: [Int] = []
    var magnitudes: [Double] = []
    var chosen = 0
    let hour = Double(3_600_000) / Double(intervalMs)
    for k in 0..<sensors {
      let u = Self.uniform(seed, UInt64(k), 101)
      guard u < 1 / Double(self.anomalyEvery) else {
        anomalies.append(nil)
        onsets.append(0)
        lengths.append(0)
        magnitudes.append(0)
        continue
      }
      let kind = AlertKind(rawValue: UInt8(chosen % 5))!
      chosen += 1
      let v = Self.uniform(seed, UInt64(k), 102)
      let hours: Double =
        switch kind {
        case .spike: 0
        case .levelShift: 1 + 3 * v
        case .drift: 3 + 5 * v
        case .stuck: 1 + 2 * v
        case .silent: (20 + 70 * v) / 60
        case .novelty: 0  // never injected
        }
      let length = max(1, Int((hours * hour).rounded()))
      let onset = Int(Double(ticks) * (0.2 + 0.65 * Self.uniform(seed, UInt64(k), 103)))
      let sign: Double = Self.uniform(seed, UInt64(k), 104) < 0.5 ? -1 : 1
      let size = Self.uniform(seed, UInt64(k), 105)
      let magnitude: Double =
        switch kind {
        case .spike: sign * (8 + 6 * size)
        case .levelShift: sign * (5 + 3 * size)
        case .drift: sign * (8 + 4 * size)
        default: 0
        }
      onsets.append(onset)
      lengths.append(length)
      magnitudes.append(magnitude)
      anomalies.append(
        InjectedAnomaly(
          sensor: Int32(k), kind: kind, startMs: startMs + Int64(onset) * intervalMs,
          endMs: startMs + Int64(onset + length - 1) * intervalMs))
    }
    self.shapes = (0..<sensors).map { k in
      let key = UInt64(k)
      let sigma = 0.5 + 2 * Self.uniform(seed, key, 2)
      return (
        level: 20 + 80 * Self.uniform(seed, key, 1), sigma: sigma,
        amplitude: (2 + 6 * Self.uniform(seed, key, 3)) * sigma,
        phase: 2 * Double.pi * Self.uniform(seed, key, 4),
        trend: (Self.uniform(seed, key, 5) - 0.5) * sigma
      )
    }
    self.anomalies = anomalies
    self.onsets = onsets
    self.lengths = lengths
    self.magnitudes = magnitudes
  }

  /// Total readings (`sensors × ticks`).
  public var count: Int { sensors * ticks }

  /// The injected anomalies (ground truth).
  public var truth: [InjectedAnomaly] { anomalies.compactMap { $0 } }

  /// SplitMix64's finaliser: a well-mixed hash of `x`.
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform number in [0, 1) for (seed, a, b).
  static func uniform(_ seed: UInt64, _ a: UInt64, _ b: UInt64) -> Double {
    Double(mix(seed ^ mix(a &* 0x1000_0000_01B3 ^ mix(b))) >> 11) * 0x1p-53
  }

  /// The undisturbed value of sensor `k` at tick `t`.
  func normalValue(sensor k: Int, tick t: Int) -> Double {
    let key = UInt64(k)
    let shape = shapes[k]
    let days = Double(Int64(t) * intervalMs) / 86_400_000
    // Four uniforms summed: close to a normal distribution, bounded by ±3.5σ.
    let h = Self.mix(seed ^ Self.mix(key << 32 ^ UInt64(t)))
    let u1 = Double(h & 0xFFFF)
    let u2 = Double((h >> 16) & 0xFFFF)
    let u3 = Double((h >> 32) & 0xFFFF)
    let u4 = Double(h >> 48)
    let noise = ((u1 + u2 + u3 + u4) / 65_536 - 2) * 1.732_050_8
    return shape.level + shape.amplitude * sin(2 * Double.pi * days + shape.phase) + shape.trend
      * days + shape.sigma * noise
  }

  /// Reading `index` (sensor `index % sensors`, tick `index / sensors`); a
  /// reading of a silent sensor is flagged ``Reading/Flag/gap``.
  public func reading(_ index: Int) -> Reading {
    let k = index % sensors
    let t = index / sensors
    let jitter =
      jitterMs == 0
      ? 0 : Int64(Self.mix(seed &+ 17 ^ UInt64(index)) % UInt64(2 * jitterMs + 1)) - jitterMs
    let time = startMs + Int64(t) * intervalMs + jitter
    var value = normalValue(sensor: k, tick: t)
    var flag = Reading.Flag.value
    if let anomaly = anomalies[k] {
      let onset = onsets[k]
      let length = lengths[k]
      if t >= onset && t < onset + length {
        let sigma = shapes[k].sigma
        switch anomaly.kind {
        case .spike: value += magnitudes[k] * sigma
        case .levelShift: value += magnitudes[k] * sigma
        case .drift: value += magnitudes[k] * sigma * Double(t - onset + 1) / Double(length)
        case .stuck: value = normalValue(sensor: k, tick: onset)
        case .silent: flag = .gap
        case .novelty: break  // never injected
        }
      }
    }
    return Reading(sensor: Int32(k), timestampMs: time, value: value, line: -1, flag: flag)
  }

  /// The name of sensor `k` (`sensor-0042`).
  public static func name(_ k: Int32) -> String {
    let digits = String(k)
    return "sensor-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }
}
