import Foundation
import Tributary

// MARK: - The threshold: how unusual a raw score is for this sensor

/// State of a ``SurpriseThreshold`` for one sensor: the adaptive threshold
/// (a decaying maximum of the scores seen) and until when alerts are suppressed.
public struct SurpriseState: BinaryCodable, Equatable {
  /// The current threshold: the largest score seen, decayed per reading,
  /// never below ``SurpriseThreshold/floor``.
  public var level: Double = 0
  /// Scores seen.
  public var count: Int64 = 0
  /// No alert before the score with this count (suppression after an alert).
  public var quietUntil: Int64 = 0

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    level.encode(to: &writer)
    count.encode(to: &writer)
    quietUntil.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.level = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.quietUntil = try Int64.decode(from: &reader)
    return state
  }
}

/// Decides which scores of a stream are unusual for that stream: a score is an
/// alert when it exceeds every score of the sensor's recent past, that is the
/// largest score seen so far, decayed geometrically with a half-life of
/// ``halfLife`` readings, or ``ageFactor`` times the sensor's age if that is
/// longer (the older the model, the longer its memory of what is usual), and
/// never below ``floor``. Scores start raising the threshold after
/// ``warmUp``/2 readings (the first scores of a fresh model are all novel and
/// would set it too high) and can alert after ``warmUp``. After an alert,
/// alerts are suppressed for ``suppression`` readings, so one event is one alert.
///
/// This is the step NAB's detectors call the anomaly likelihood: how unusual
/// the recent raw scores are against the sensor's own history. It uses the
/// extreme of that history rather than a Gaussian fit of it, since raw
/// scores are far from Gaussian (see docs/anomaly-detection.md).
///
/// A pure value: the same scores in the same order give the same alerts.
public struct SurpriseThreshold: Sendable {
  /// Half-life of the threshold's decay, in readings.
  public var halfLife: Double
  /// The half-life is at least this times the number of readings seen (0: fixed half-life).
  public var ageFactor: Double
  /// The threshold never decays below this score.
  public var floor: Double
  /// Readings before the first alert; scores raise the threshold from `warmUp / 2`.
  public var warmUp: Int64
  /// Readings after an alert during which no further alert is raised.
  public var suppression: Int64

  /// Creates a threshold rule; the defaults are the demo's fixed parameters.
  public init(
    halfLife: Double = 3_500, ageFactor: Double = 0, floor: Double = 0.1, warmUp: Int64 = 600,
    suppression: Int64 = 250
  ) {
    self.halfLife = halfLife
    self.ageFactor = ageFactor
    self.floor = floor
    self.warmUp = warmUp
    self.suppression = suppression
  }

  /// The per-reading decay factor after `count` readings.
  public func decay(after count: Int64) -> Double {
    exp(-M_LN2 / max(halfLife, ageFactor * Double(count), 1))
  }

  /// Feeds one score; returns the threshold it exceeded when it is an alert.
  public func observe(_ score: Double, state: inout SurpriseState) -> Double? {
    let index = state.count
    state.count += 1
    state.level = max(state.level * decay(after: index), floor)
    var exceeded: Double?
    if index >= warmUp && score > state.level && state.level > 0 && index >= state.quietUntil {
      exceeded = state.level
      state.quietUntil = index + suppression + 1
    }
    if index >= warmUp / 2 { state.level = max(state.level, score) }
    return exceeded
  }
}

// MARK: - One context model: quantised values, contexts, the set of contexts seen

/// State of a ``ContextModel``: the value range seen, the quantisation grid,
/// the last quantised values and the set of contexts seen (a fixed-size bitmap).
public struct ContextState: BinaryCodable, Equatable {
  /// Smallest value seen.
  public var low: Double = .nan
  /// Largest value seen.
  public var high: Double = .nan
  /// Values seen.
  public var count: Int64 = 0
  /// Lower edge of bin 0 once the grid is fixed.
  public var gridOrigin: Double = 0
  /// Width of a bin once the grid is fixed; 0 before.
  public var gridWidth: Double = 0
  /// The last quantised values (bin + `extraLevels` + 1), newest in the lowest byte.
  public var recentLevels: UInt64 = 0
  /// Contexts seen: bit `h` is set when a context hashing to `h` occurred.
  public var seen: [UInt64] = []

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    low.encode(to: &writer)
    high.encode(to: &writer)
    count.encode(to: &writer)
    gridOrigin.encode(to: &writer)
    gridWidth.encode(to: &writer)
    recentLevels.encode(to: &writer)
    seen.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.low = try Double.decode(from: &reader)
    state.high = try Double.decode(from: &reader)
    state.count = try Int64.decode(from: &reader)
    state.gridOrigin = try Double.decode(from: &reader)
    state.gridWidth = try Double.decode(from: &reader)
    state.recentLevels = try UInt64.decode(from: &reader)
    state.seen = try [UInt64].decode(from: &reader)
    return state
  }
}

/// Which short sequences of (quantised) values a series has produced, and how
/// many of those ending at the newest value are new.
///
/// 1. **Quantise**: for the first ``gridAfter`` values into ``levels`` equal
///    bins of the range seen so far; then the grid is fixed (origin and bin
///    width of the range at that point), and values outside it fall into up
///    to ``extraLevels`` further bins on either side. A fixed grid keeps the
///    contexts learned so far valid when the range grows.
/// 2. **Contexts**: the sequences of the last 1, 2, …, ``contextLength``
///    quantised values ending at the newest. Each is hashed into a bitmap of
///    2^``tableBits`` bits; the **novelty** of a value is how many of them
///    were never seen before (a bit not yet set), 0...``contextLength``.
public struct ContextModel: Sendable {
  /// Quantisation bins of the grid.
  public var levels: Int
  /// Bins beyond the grid on either side, once it is fixed.
  public var extraLevels: Int
  /// Values after which the grid is fixed (once the range is not empty).
  public var gridAfter: Int64
  /// Longest context, in values (1...8).
  public var contextLength: Int
  /// The context bitmap has 2^tableBits bits (6...24).
  public var tableBits: Int

  /// Creates a model.
  public init(
    levels: Int = 6, extraLevels: Int = 16, gridAfter: Int64 = 300, contextLength: Int = 6,
    tableBits: Int = 16
  ) {
    precondition(levels >= 1 && extraLevels >= 0, "levels must be positive")
    precondition(levels + 2 * extraLevels + 2 <= 256, "levels + 2 extraLevels must fit a byte")
    precondition(contextLength >= 1 && contextLength <= 8, "contextLength must be in 1...8")
    precondition(tableBits >= 6 && tableBits <= 24, "tableBits must be in 6...24")
    self.levels = levels
    self.extraLevels = extraLevels
    self.gridAfter = gridAfter
    self.contextLength = contextLength
    self.tableBits = tableBits
  }

  /// The quantisation bin of `value`: `0 ..< levels` in the range seen while
  /// the grid is not fixed, `-extraLevels - 1 ... levels + extraLevels` after.
  public func level(of value: Double, state: ContextState) -> Int {
    // Extreme values can make the ratios NaN (∞/∞): such a value goes to bin 0.
    if state.gridWidth > 0 {
      let bin = ((value - state.gridOrigin) / state.gridWidth).rounded(.down)
      guard !bin.isNaN else { return 0 }
      return Int(min(max(bin, Double(-extraLevels - 1)), Double(levels + extraLevels)))
    }
    let range = max(state.high - state.low, 1e-12)
    let scaled = (value - state.low) / range * Double(levels)
    guard !scaled.isNaN else { return 0 }
    return Int(min(max(scaled, 0), Double(levels - 1)))
  }

  /// The bitmap slot of a context hash (a 64-bit mix of it, masked to `tableBits`).
  public func slot(_ hash: UInt64) -> Int {
    var z = hash
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    z ^= z >> 31
    return Int(z & ((1 << UInt64(tableBits)) - 1))
  }

  /// Learns one (finite) value; returns how many contexts ending at it were new.
  public func observe(_ value: Double, state: inout ContextState) -> Int {
    if state.seen.count != 1 << (tableBits - 6) {
      state.seen = [UInt64](repeating: 0, count: 1 << (tableBits - 6))
    }
    state.low = state.count == 0 ? value : min(state.low, value)
    state.high = state.count == 0 ? value : max(state.high, value)
    if state.gridWidth == 0 && state.count >= gridAfter && state.high > state.low {
      state.gridOrigin = state.low
      state.gridWidth = (state.high - state.low) / Double(levels)
    }
    let code = UInt64(level(of: value, state: state) + extraLevels + 1)
    state.recentLevels = (state.recentLevels << 8) | code
    state.count += 1
    // Contexts of length 1...n ending here, hashed newest value first (FNV-1a).
    let available = Int(min(state.count, Int64(contextLength)))
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    var novel = 0
    for back in 0..<available {
      let b = (state.recentLevels >> UInt64(8 * back)) & 0xff
      hash = (hash ^ (b &+ 1)) &* 0x100_0000_01b3
      let s = slot(hash)
      let mask: UInt64 = 1 << UInt64(s & 63)
      if state.seen[s >> 6] & mask == 0 {
        novel += 1
        state.seen[s >> 6] |= mask
      }
    }
    return novel
  }
}

// MARK: - Time scales

/// State of one ``NoveltyScale``.
public struct ScaleState: BinaryCodable, Equatable {
  /// The context model of the block means.
  public var context = ContextState()
  /// Novelty counts of the last blocks, 4 bits each, newest in the lowest bits.
  public var recentNovelty: UInt64 = 0
  /// Sum of the values of the current block.
  public var blockSum: Double = 0
  /// Values in the current block.
  public var blockCount: Int64 = 0
  /// The scale's score after its last complete block (0 before the first).
  public var score: Double = 0

  /// A fresh state.
  public init() {}

  /// Writes the fields in declaration order (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    context.encode(to: &writer)
    recentNovelty.encode(to: &writer)
    blockSum.encode(to: &writer)
    blockCount.encode(to: &writer)
    score.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.context = try ContextState.decode(from: &reader)
    state.recentNovelty = try UInt64.decode(from: &reader)
    state.blockSum = try Double.decode(from: &reader)
    state.blockCount = try Int64.decode(from: &reader)
    state.score = try Double.decode(from: &reader)
    return state
  }
}

/// One time scale of a ``NoveltyDetector``: the means of consecutive blocks of
/// ``blockSize`` readings go through a ``ContextModel``; the scale's score is
/// the novelty of its last ``smoothing`` blocks as a fraction of the most
/// possible (0: every context known, 1: all new), updated when a block is
/// complete and held in between.
public struct NoveltyScale: Sendable {
  /// Readings per block (1: every reading).
  public var blockSize: Int
  /// Blocks whose novelty is averaged into the score (1...16).
  public var smoothing: Int
  /// The context model of the block means.
  public var model: ContextModel

  /// Creates a scale.
  public init(blockSize: Int, smoothing: Int, model: ContextModel) {
    precondition(blockSize >= 1, "blockSize must be positive")
    precondition(smoothing >= 1 && smoothing <= 16, "smoothing must be in 1...16")
    self.blockSize = blockSize
    self.smoothing = smoothing
    self.model = model
  }

  /// Feeds one reading; returns the scale's current score and the novelty of
  /// the block it completed, if it completed one.
  public func observe(_ value: Double, state: inout ScaleState) -> (score: Double, novel: Int?) {
    state.blockSum += value
    state.blockCount += 1
    guard state.blockCount >= Int64(blockSize) else { return (state.score, nil) }
    let mean = blockSize == 1 ? state.blockSum : state.blockSum / Double(state.blockCount)
    state.blockSum = 0
    state.blockCount = 0
    guard mean.isFinite else { return (state.score, nil) }  // a sum beyond Double's range
    let novel = model.observe(mean, state: &state.context)
    state.recentNovelty = (state.recentNovelty << 4) | UInt64(novel)
    let window = Int(min(state.context.count, Int64(smoothing)))
    var total = 0
    for back in 0..<window { total += Int((state.recentNovelty >> UInt64(4 * back)) & 0xf) }
    state.score = Double(total) / Double(window * model.contextLength)
    return (state.score, novel)
  }
}

// MARK: - The detector

/// State of a ``NoveltyDetector`` for one sensor: one ``ScaleState`` per
/// scale and the threshold's state.
public struct NoveltyState: BinaryCodable, Equatable {
  /// Per scale, in the detector's order.
  public var scales: [ScaleState] = []
  /// The adaptive threshold.
  public var surprise = SurpriseState()

  /// A fresh state.
  public init() {}

  /// Smallest value seen (by the first scale).
  public var low: Double { scales.first?.context.low ?? .nan }
  /// Largest value seen (by the first scale).
  public var high: Double { scales.first?.context.high ?? .nan }

  /// Writes the fields in declaration order (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    scales.encode(to: &writer)
    surprise.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var state = Self()
    state.scales = try [ScaleState].decode(from: &reader)
    state.surprise = try SurpriseState.decode(from: &reader)
    return state
  }
}

/// A context-novelty detector for any numeric series (the detector of the
/// `--input` path), in the spirit of NAB's contextual detectors (CAD OSE) and
/// HTM: it learns which short sequences of values a sensor produces, at a few
/// time scales, and alerts when the sensor produces sequences it has not
/// produced before more than it usually does.
///
/// Per reading, each ``NoveltyScale`` (by default every reading, and the
/// means of blocks of 12 readings) updates its ``ContextModel`` and score; the
/// **raw score** is the mean of the scales' scores, and the
/// ``SurpriseThreshold`` decides whether it is an alert.
///
/// Everything is per sensor and counted in readings (not time); the state is
/// fixed in size (2^`tableBits` / 8 bytes per scale plus a few dozen). A pure
/// value: the same readings in the same order give the same alerts.
public struct NoveltyDetector: Sendable {
  /// The time scales, finest first.
  public var scales: [NoveltyScale]
  /// The alert rule over raw scores.
  public var threshold: SurpriseThreshold

  /// The demo's fixed scales (chosen on NAB's realAWSCloudwatch files, see
  /// docs/anomaly-detection.md): every reading (8 levels, contexts of up to 6
  /// readings, novelty averaged over 8), and means of 12 readings (8 levels,
  /// contexts of up to 6 blocks, novelty averaged over 2 blocks).
  public static let defaultScales = [
    NoveltyScale(
      blockSize: 1, smoothing: 8, model: ContextModel(levels: 8, gridAfter: 300, contextLength: 6)),
    NoveltyScale(
      blockSize: 12, smoothing: 2, model: ContextModel(levels: 8, gridAfter: 25, contextLength: 6)),
  ]

  /// Creates a detector; the defaults are the demo's fixed parameters.
  public init(
    scales: [NoveltyScale] = NoveltyDetector.defaultScales,
    threshold: SurpriseThreshold = SurpriseThreshold()
  ) {
    precondition(!scales.isEmpty, "a detector needs at least one scale")
    self.scales = scales
    self.threshold = threshold
  }

  /// What one reading did to the model.
  public struct Step: Sendable, Equatable {
    /// Contexts of the finest scale that were new (when it completed a block).
    public var novel: Int?
    /// The raw score: the mean of the scales' scores (0...1).
    public var score: Double
    /// The threshold the score exceeded, when it is an alert.
    public var alert: Double?
  }

  /// Feeds one reading; returns its novelty, raw score and whether it is an
  /// alert (nil for a value that is not finite, which is ignored).
  public func observe(_ value: Double, state: inout NoveltyState) -> Step? {
    guard value.isFinite else { return nil }
    if state.scales.count != scales.count {
      state.scales = [ScaleState](repeating: ScaleState(), count: scales.count)
    }
    var total = 0.0
    var finest: Int?
    for i in scales.indices {
      let result = scales[i].observe(value, state: &state.scales[i])
      total += result.score
      if i == 0 { finest = result.novel }
    }
    let score = total / Double(scales.count)
    let alert = threshold.observe(score, state: &state.surprise)
    return Step(novel: finest, score: score, alert: alert)
  }
}

/// The context-novelty detector per sensor, in event time; one
/// ``NoveltyState`` per sensor in keyed `ValueState`, so it is checkpointed
/// and restored with the job.
public struct NoveltyDetectorFunction: KeyedProcessFunction {
  /// The parameters.
  public let detector: NoveltyDetector
  /// Where processed readings are counted (optional).
  public let counter: ReadingCounter?
  private var state: ValueState<NoveltyState>!
  private var uncounted = 0

  /// Creates the function.
  public init(detector: NoveltyDetector, counter: ReadingCounter? = nil) {
    self.detector = detector
    self.counter = counter
  }

  /// Declares the function's keyed state (one `ValueState` entry per sensor).
  public mutating func open(_ context: KeyedContext<Int64>) throws {
    state = try context.state(ValueStateDescriptor<NoveltyState>("novelty"))
  }

  /// Feeds one reading of sensor `context.key` to its model and emits an alert when it is one.
  public mutating func processElement(
    _ reading: Reading, context: KeyedContext<Int64>, out: inout Collector<Alert>
  ) throws {
    guard reading.flag == .value else { return }
    uncounted += 1
    if uncounted >= 4096, let counter {
      counter.add(uncounted)
      uncounted = 0
    }
    var s = try state.value() ?? NoveltyState()
    if let step = detector.observe(reading.value, state: &s), let threshold = step.alert {
      out.emit(
        Alert(
          sensor: reading.sensor, timestampMs: reading.timestampMs, kind: .novelty,
          value: reading.value, score: step.score / threshold, expectedLow: s.low,
          expectedHigh: s.high, line: reading.line))
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
