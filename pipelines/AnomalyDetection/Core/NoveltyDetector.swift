import Tributary

/// State of a ``SurpriseThreshold`` for one sensor: the adaptive threshold
/// (a decaying maximum of the scores seen) and until when alerts are suppressed.
public struct SurpriseState: BinaryCodable, Equatable {
  /// The current threshold: the largest score seen, decayed by
  /// ``SurpriseThreshold/decay`` per reading, never below ``SurpriseThreshold/floor``.
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
/// largest score seen so far, decayed geometrically by ``decay`` per reading
/// (so a burst long ago stops masking a new one) and never below ``floor``.
/// Scores start raising the threshold after ``warmUp``/2 readings (the first
/// scores of a fresh model are all novel and would set it too high) and can
/// alert after ``warmUp``. After an alert the threshold suppresses further
/// alerts for ``suppression`` readings, so one event is one alert.
///
/// This is the step NAB's detectors call the anomaly likelihood: how unusual
/// the recent raw scores are against the sensor's own history. It uses the
/// extreme of that history rather than a Gaussian fit of it, since raw
/// scores are far from Gaussian (see docs/anomaly-detection.md).
///
/// A pure value: the same scores in the same order give the same alerts.
public struct SurpriseThreshold: Sendable {
  /// Per-reading decay of the threshold (0...1; 0.9997 halves it in about 2,300 readings).
  public var decay: Double
  /// The threshold never decays below this score.
  public var floor: Double
  /// Readings before the first alert; scores raise the threshold from `warmUp / 2`.
  public var warmUp: Int64
  /// Readings after an alert during which no further alert is raised.
  public var suppression: Int64

  /// Creates a threshold rule; the defaults are the demo's fixed parameters.
  public init(
    decay: Double = 0.9997, floor: Double = 0.1, warmUp: Int64 = 600, suppression: Int64 = 100
  ) {
    self.decay = decay
    self.floor = floor
    self.warmUp = warmUp
    self.suppression = suppression
  }

  /// Feeds one score; returns the threshold it exceeded when it is an alert.
  public func observe(_ score: Double, state: inout SurpriseState) -> Double? {
    let index = state.count
    state.count += 1
    state.level = max(state.level * decay, floor)
    var exceeded: Double?
    if index >= warmUp && score > state.level && state.level > 0 && index >= state.quietUntil {
      exceeded = state.level
      state.quietUntil = index + suppression + 1
    }
    if index >= warmUp / 2 { state.level = max(state.level, score) }
    return exceeded
  }
}

/// State of a ``NoveltyDetector`` for one sensor: the value range seen, the
/// last quantised values, the set of contexts seen (a fixed-size bitmap), the
/// recent novelty counts and the threshold's state.
public struct NoveltyState: BinaryCodable, Equatable {
  /// Smallest value seen.
  public var low: Double = .nan
  /// Largest value seen.
  public var high: Double = .nan
  /// Readings seen.
  public var count: Int64 = 0
  /// Lower edge of bin 0 once the grid is fixed.
  public var gridOrigin: Double = 0
  /// Width of a bin once the grid is fixed; 0 before.
  public var gridWidth: Double = 0
  /// The last quantised values (``NoveltyDetector/code(of:state:)``), newest in the lowest byte.
  public var recentLevels: UInt64 = 0
  /// Novelty counts of the last readings, 4 bits each, newest in the lowest bits.
  public var recentNovelty: UInt64 = 0
  /// Contexts seen: bit `h` is set when a context hashing to `h` occurred.
  public var seen: [UInt64] = []
  /// The adaptive threshold.
  public var surprise = SurpriseState()

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
    recentNovelty.encode(to: &writer)
    seen.encode(to: &writer)
    surprise.encode(to: &writer)
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
    state.recentNovelty = try UInt64.decode(from: &reader)
    state.seen = try [UInt64].decode(from: &reader)
    state.surprise = try SurpriseState.decode(from: &reader)
    return state
  }
}

/// A context-novelty detector for any numeric series (the detector of the
/// `--input` path), in the spirit of NAB's contextual detectors (CAD OSE) and
/// HTM: it learns which short sequences of values a sensor produces and
/// alerts when the sensor keeps producing sequences it has never produced.
///
/// Per reading:
/// 1. **Quantise** the value: for the first ``gridAfter`` readings into
///    ``levels`` equal bins of the range seen so far; then the grid is fixed
///    (origin and bin width of the range at that point), and values outside
///    it fall into up to ``extraLevels`` further bins on either side. A fixed
///    grid keeps the contexts learned so far valid when the range grows.
/// 2. **Contexts**: the sequences of the last 1, 2, …, ``contextLength``
///    quantised values ending here. Each is hashed into a bitmap of
///    2^``tableBits`` bits; the **novelty** of the reading is how many of
///    them were never seen before (a bit not yet set).
/// 3. **Raw score**: the novelty of the last ``smoothing`` readings, as a
///    fraction of the most possible (0: all contexts known, 1: all new).
/// 4. **Alert** when the raw score exceeds the sensor's ``SurpriseThreshold``.
///
/// Everything is per sensor, counted in readings (not time), and the state is
/// fixed in size (2^``tableBits`` / 8 bytes plus 88). A pure value: the same
/// readings in the same order give the same alerts.
public struct NoveltyDetector: Sendable {
  /// Quantisation bins of the grid.
  public var levels: Int
  /// Bins beyond the grid on either side, once it is fixed.
  public var extraLevels: Int
  /// Readings after which the grid is fixed (once the range is not empty).
  public var gridAfter: Int64
  /// Longest context, in readings (1...8).
  public var contextLength: Int
  /// The context bitmap has 2^tableBits bits (6...24).
  public var tableBits: Int
  /// Readings whose novelty is averaged into the raw score (1...16).
  public var smoothing: Int
  /// The alert rule over raw scores.
  public var threshold: SurpriseThreshold

  /// Creates a detector; the defaults are the demo's fixed parameters.
  public init(
    levels: Int = 6, extraLevels: Int = 16, gridAfter: Int64 = 300, contextLength: Int = 8,
    tableBits: Int = 16, smoothing: Int = 8, threshold: SurpriseThreshold = SurpriseThreshold()
  ) {
    precondition(levels >= 1 && extraLevels >= 0, "levels must be positive")
    precondition(levels + 2 * extraLevels + 2 <= 256, "levels + 2 extraLevels must fit a byte")
    precondition(contextLength >= 1 && contextLength <= 8, "contextLength must be in 1...8")
    precondition(tableBits >= 6 && tableBits <= 24, "tableBits must be in 6...24")
    precondition(smoothing >= 1 && smoothing <= 16, "smoothing must be in 1...16")
    self.levels = levels
    self.extraLevels = extraLevels
    self.gridAfter = gridAfter
    self.contextLength = contextLength
    self.tableBits = tableBits
    self.smoothing = smoothing
    self.threshold = threshold
  }

  /// The quantisation bin of `value`: `0 ..< levels` in the range seen while
  /// the grid is not fixed, `-extraLevels - 1 ... levels + extraLevels` after.
  public func level(of value: Double, state: NoveltyState) -> Int {
    if state.gridWidth > 0 {
      let bin = ((value - state.gridOrigin) / state.gridWidth).rounded(.down)
      return Int(min(max(bin, Double(-extraLevels - 1)), Double(levels + extraLevels)))
    }
    let range = max(state.high - state.low, 1e-12)
    let scaled = (value - state.low) / range * Double(levels)
    return min(max(Int(scaled), 0), levels - 1)
  }

  /// The bitmap slot of a context hash (a 64-bit mix of it, masked to `tableBits`).
  public func slot(_ hash: UInt64) -> Int {
    var z = hash
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    z ^= z >> 31
    return Int(z & ((1 << UInt64(tableBits)) - 1))
  }

  /// What one reading did to the model.
  public struct Step: Sendable, Equatable {
    /// Contexts ending at this reading that were new.
    public var novel: Int
    /// The raw score: recent novelty as a fraction of the most possible (0...1).
    public var score: Double
    /// The threshold the score exceeded, when it is an alert.
    public var alert: Double?
  }

  /// Feeds one reading; returns its novelty, raw score and whether it is an alert.
  public func observe(_ value: Double, state: inout NoveltyState) -> Step? {
    guard value.isFinite else { return nil }
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
    state.recentNovelty = (state.recentNovelty << 4) | UInt64(novel)
    let window = Int(min(state.count, Int64(smoothing)))
    var total = 0
    for back in 0..<window { total += Int((state.recentNovelty >> UInt64(4 * back)) & 0xf) }
    let score = Double(total) / Double(window * contextLength)
    let alert = threshold.observe(score, state: &state.surprise)
    return Step(novel: novel, score: score, alert: alert)
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
