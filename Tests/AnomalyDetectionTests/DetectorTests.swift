import AnomalyDetectionCore
import Foundation
import Testing

/// Each detector finds its anomaly kind in a small generated series and stays
/// quiet on clean data.
@Suite struct DetectorTests {
  /// A clean series: a slow cycle plus bounded pseudo-random noise.
  static func clean(_ count: Int, seed: UInt64 = 1) -> [Double] {
    var rng = SplitMix(seed)
    return (0..<count).map { i in
      50 + 5 * sin(Double(i) / 200) + (rng.unit() + rng.unit() + rng.unit() + rng.unit() - 2)
    }
  }

  @Test func spikeDetectorFindsASpikeOnce() {
    var series = Self.clean(2_000)
    series[1_500] += 15
    let detector = SpikeDetector()
    var state = SpikeState()
    var hits: [Int] = []
    for (i, value) in series.enumerated() where detector.observe(value, state: &state) != nil {
      hits.append(i)
    }
    #expect(hits == [1_500])
  }

  @Test func spikeDetectorIsQuietOnCleanDataAndReportsTheExpectedRange() {
    let detector = SpikeDetector()
    var state = SpikeState()
    for value in Self.clean(20_000, seed: 3) {
      #expect(detector.observe(value, state: &state) == nil)
    }
    let hit = detector.observe(state.mean + 100, state: &state)
    #expect(hit != nil)
    if let hit { #expect(hit.low < state.mean && state.mean < hit.high && hit.score >= 5) }
  }

  @Test func spikeDetectorCoolsDownAfterAnAlert() {
    var series = Self.clean(1_000)
    for i in 500..<510 { series[i] += 20 }  // one incident of ten readings
    let detector = SpikeDetector()
    var state = SpikeState()
    let hits = series.filter { detector.observe($0, state: &state) != nil }
    #expect(hits.count == 1)
  }

  @Test func stuckDetectorFindsAFlatLineOnceAndIgnoresQuantisedSeries() {
    var series = Self.clean(1_000)
    for i in 600..<700 { series[i] = series[599] }
    let detector = StuckDetector()
    var state = StuckState()
    var hits: [Int] = []
    for (i, value) in series.enumerated() where detector.observe(value, state: &state) != nil {
      hits.append(i)
    }
    #expect(hits == [609])
    // A series that often repeats (integers) is not called stuck by a long run.
    var quantised = StuckState()
    var alerts = 0
    for (i, value) in Self.clean(2_000).enumerated() {
      let v = i > 1_500 && i < 1_600 ? 50 : value.rounded()
      if detector.observe(v, state: &quantised) != nil { alerts += 1 }
    }
    #expect(alerts == 0)
    var clean = StuckState()
    #expect(Self.clean(5_000).allSatisfy { detector.observe($0, state: &clean) == nil })
  }

  @Test func shiftDetectorFindsALevelShiftAndDriftButNotTheCycle() {
    let detector = ShiftDetector()
    func alerts(_ means: [Double]) -> [(Int, AlertKind)] {
      var state = ShiftState()
      return means.enumerated().compactMap { i, mean in
        detector.observe(mean, state: &state).map { (i, $0.kind) }
      }
    }
    var rng = SplitMix(9)
    let cycle = (0..<600).map { i in
      50 + 10 * sin(Double(i) * 2 * .pi / 288) + 0.2 * (rng.unit() - 0.5)
    }
    #expect(alerts(cycle).isEmpty)
    var shifted = cycle
    for i in 300..<600 { shifted[i] += 5 }
    let shiftAlerts = alerts(shifted)
    #expect(shiftAlerts.first?.0 == 300 && shiftAlerts.first?.1 == .levelShift)
    // A slow ramp on a noisy level: no single window is far off, the sum is.
    let noisy = (0..<600).map { _ in 50 + (rng.unit() - 0.5) }
    #expect(alerts(noisy).isEmpty)
    var drifting = noisy
    for i in 300..<600 { drifting[i] += Double(i - 300) * 0.03 }
    let driftAlerts = alerts(drifting)
    #expect(driftAlerts.first.map { $0.0 > 300 && $0.0 < 360 } == true, "\(driftAlerts)")
    #expect(driftAlerts.first?.1 == .drift)
  }

  @Test func silenceRuleAlertsOnceWhetherTheTimerOrTheNextReadingComesFirst() {
    let rule = SilenceRule()
    // Readings every 1,000 ms, then a 60 s gap (threshold: 10 × 1,000 ms).
    let times: [Int64] = (0..<30).map { Int64($0) * 1_000 } + [89_000, 90_000]
    // Path 1: the next reading arrives before the timer fires.
    var state = SilenceState()
    var viaReading: [Silence] = []
    for t in times {
      if let alert = rule.observe(time: t, value: Double(t), line: Int32(t / 1_000), state: &state)
      {
        viaReading.append(alert)
      }
      if let timer = rule.timerToRegister(state) { state.timerAt = timer }
    }
    // The alert describes the last reading before the silence, whichever path reports it.
    let expected = Silence(timeMs: 39_000, lastValue: 29_000, lastLine: 29)
    #expect(viaReading == [expected])
    // Path 2: the timer fires at 39,000 first (the watermark passed it).
    state = SilenceState()
    var viaTimer: [Silence] = []
    for t in times {
      while state.timerAt != .min && state.timerAt <= t - 1 {
        let fired = rule.timerFired(at: state.timerAt, state: &state)
        if let alert = fired.alert { viaTimer.append(alert) }
        if let next = fired.next { state.timerAt = next }
      }
      if let alert = rule.observe(time: t, value: Double(t), line: Int32(t / 1_000), state: &state)
      {
        viaTimer.append(alert)
      }
      if let timer = rule.timerToRegister(state) { state.timerAt = timer }
    }
    #expect(viaTimer == [expected])
  }

  @Test func detectorStatesRoundTripThroughTheCodec() throws {
    var state = SensorState()
    let detector = SpikeDetector()
    for value in Self.clean(100) { _ = detector.observe(value, state: &state.spike) }
    _ = StuckDetector().observe(3, state: &state.stuck)
    _ = SilenceRule().observe(time: 5, value: 3, line: 7, state: &state.silence)
    #expect(try SensorState.decode(state.encodedBytes()) == state)
    var shift = ShiftState()
    _ = ShiftDetector().observe(4, state: &shift)
    _ = ShiftDetector().observe(5, state: &shift)
    #expect(try ShiftState.decode(shift.encodedBytes()) == shift)
  }
}

/// A seeded generator for test data.
struct SplitMix {
  var state: UInt64
  init(_ seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
