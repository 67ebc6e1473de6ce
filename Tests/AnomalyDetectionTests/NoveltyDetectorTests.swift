import AnomalyDetectionCore
import Foundation
import Testing
import Tributary

/// The context-novelty detector of the `--input` path and its threshold rule,
/// against expectations worked out by hand.
@Suite struct NoveltyDetectorTests {
  /// Alerts (index, exceeded threshold) of `rule` over `scores`.
  static func alerts(_ rule: SurpriseThreshold, _ scores: [Double]) -> [(Int, Double)] {
    var state = SurpriseState()
    var out: [(Int, Double)] = []
    for (i, score) in scores.enumerated() {
      if let exceeded = rule.observe(score, state: &state) { out.append((i, exceeded)) }
    }
    return out
  }

  @Test func thresholdWarmsUpDecaysToItsFloorAndSuppressesRepeats() {
    // Half-life 1 (decay 0.5), floor 0.1, warm-up 4 (scores raise the level
    // from index 2), suppression 2.
    // i=0,1: level 0.1 (floor), not raised.  i=2: raised to 0.2.  i=3: 0.1, raised to 0.2.
    // i=4: 0.1 → 0.5 > 0.1: alert (threshold 0.1), quiet until 7, level 0.5.
    // i=5: 0.25 → 0.6 suppressed, level 0.6.  i=6: 0.3 → 0.9 suppressed, level 0.9.
    // i=7: 0.45.  i=8: 0.225 → 0.3 > 0.225: alert, quiet until 11, level 0.3.
    // i=9: 0.15.  i=10: 0.1 (floor) → 0.8 suppressed.
    let rule = SurpriseThreshold(
      halfLife: 1, ageFactor: 0, floor: 0.1, warmUp: 4, suppression: 2)
    let scores = [0.9, 0.3, 0.2, 0.2, 0.5, 0.6, 0.9, 0.05, 0.3, 0.05, 0.8]
    let got = Self.alerts(rule, scores)
    #expect(got.map(\.0) == [4, 8])
    #expect(abs(got[0].1 - 0.1) < 1e-12 && abs(got[1].1 - 0.225) < 1e-12)
  }

  @Test func thresholdNeverAlertsOnAScoreEqualToItsLevel() {
    // With an endless half-life the level is the running maximum: a repeat of it is no alert.
    let rule = SurpriseThreshold(
      halfLife: .infinity, ageFactor: 0, floor: 0, warmUp: 2, suppression: 0)
    #expect(Self.alerts(rule, [0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.7]).map(\.0) == [4, 6])
  }

  @Test func thresholdHalfLifeGrowsWithTheSensorsAge() {
    let rule = SurpriseThreshold(halfLife: 100, ageFactor: 0.5)
    #expect(abs(rule.decay(after: 0) - pow(0.5, 1.0 / 100)) < 1e-15)
    #expect(abs(rule.decay(after: 200) - pow(0.5, 1.0 / 100)) < 1e-15)
    #expect(abs(rule.decay(after: 1_000) - pow(0.5, 1.0 / 500)) < 1e-15)
  }

  @Test func quantisationUsesEqualBinsOfTheRangeSeenUntilTheGridIsFixed() {
    let detector = ContextModel(levels: 8, extraLevels: 2)
    var state = ContextState()
    state.low = 0
    state.high = 8
    #expect(detector.level(of: 0, state: state) == 0)
    #expect(detector.level(of: 3.99, state: state) == 3)
    #expect(detector.level(of: 4, state: state) == 4)
    #expect(detector.level(of: 8, state: state) == 7)
    state.low = 5
    state.high = 5
    #expect(detector.level(of: 5, state: state) == 0)
    // A fixed grid: bins of width 1 from 0, two extra bins on either side.
    state.gridOrigin = 0
    state.gridWidth = 1
    #expect(detector.level(of: 8.5, state: state) == 8)
    #expect(detector.level(of: 100, state: state) == 10)
    #expect(detector.level(of: -0.5, state: state) == -1)
    #expect(detector.level(of: -100, state: state) == -3)
  }

  @Test func theGridIsFixedFromTheRangeAfterGridAfterReadings() {
    let detector = ContextModel(levels: 4, gridAfter: 5)
    var state = ContextState()
    for i in 0..<5 { _ = detector.observe(Double(i), state: &state) }
    #expect(state.gridWidth == 0)
    // The sixth reading (5) widens the range to 0...5 and fixes the grid.
    _ = detector.observe(5, state: &state)
    #expect(state.gridOrigin == 0 && state.gridWidth == 5.0 / 4)
    _ = detector.observe(50, state: &state)
    #expect(state.gridWidth == 5.0 / 4, "the grid stays when the range grows")
  }

  @Test func noveltyCountsContextsNeverSeen() throws {
    let detector = NoveltyDetector(
      scales: [
        NoveltyScale(blockSize: 1, smoothing: 2, model: ContextModel(levels: 4, contextLength: 3))
      ])
    var state = NoveltyState()
    // Reading 1: only the context [x] exists, and it is new.
    let first = try #require(detector.observe(7, state: &state))
    #expect(first.novel == 1 && first.score == 1.0 / 3)
    // Reading 2, the same value: [x] is known, [x x] is new; score (1 + 1) / (2 · 3).
    let second = try #require(detector.observe(7, state: &state))
    #expect(second.novel == 1 && abs(second.score - 2.0 / 6) < 1e-12)
    // Reading 3, the same value: [x], [x x] known, [x x x] new.
    #expect(detector.observe(7, state: &state)?.novel == 1)
    // Reading 4: every context of a constant series is known now.
    let fourth = try #require(detector.observe(7, state: &state))
    #expect(fourth.novel == 0 && abs(fourth.score - 1.0 / 6) < 1e-12)
    #expect(detector.observe(.nan, state: &state) == nil)
  }

  @Test func aBlockScaleLearnsBlockMeansAndHoldsItsScoreBetweenBlocks() {
    let scale = NoveltyScale(
      blockSize: 3, smoothing: 1, model: ContextModel(levels: 4, gridAfter: 1, contextLength: 2))
    var state = ScaleState()
    // Block 1 (mean 2): one new context of two possible; held while block 2 fills.
    #expect(scale.observe(1, state: &state) == (0, nil))
    #expect(scale.observe(2, state: &state) == (0, nil))
    #expect(scale.observe(3, state: &state) == (0.5, 1))
    #expect(scale.observe(100, state: &state) == (0.5, nil))
    #expect(scale.observe(-100, state: &state) == (0.5, nil))
    // Block 2 has the same mean: its context of one is known, the pair is new.
    #expect(scale.observe(6, state: &state) == (0.5, 1))
    #expect(state.context.count == 2 && state.context.low == 2 && state.context.high == 2)
    // Block 3, the same mean again: both contexts are known.
    for v in [2.0, 2, 2] { _ = scale.observe(v, state: &state) }
    #expect(state.score == 0)
  }

  @Test func aRepeatingPatternBecomesKnownAndANewPatternAlertsOnce() {
    // A saw-tooth of period 16: after a few periods every context of both
    // scales is known (the block means of 12 readings repeat every 4 blocks)
    // and the score is 0, also once the grids are fixed after 300 readings.
    let detector = NoveltyDetector()
    var state = NoveltyState()
    var alerts: [Int] = []
    var scores: [Double] = []
    for i in 0..<3_000 {
      // From reading 2,500 on: the same values in a new order.
      let value = i < 2_500 ? Double(i % 16) : Double((i * 7) % 16)
      if let step = detector.observe(value, state: &state) {
        scores.append(step.score)
        if step.alert != nil { alerts.append(i) }
      }
    }
    #expect(scores[700..<2_500].allSatisfy { $0 == 0 }, "every context is known by then")
    #expect(alerts.count == 1)
    #expect(alerts.first.map { $0 >= 2_500 && $0 < 2_510 } == true, "\(alerts)")
  }

  @Test func extremeValuesDoNotStopTheDetector() {
    let detector = NoveltyDetector()
    var state = NoveltyState()
    for i in 0..<2_000 {
      let value = i % 3 == 0 ? 1.7e308 : i % 3 == 1 ? -1.7e308 : Double(i)
      #expect(detector.observe(value, state: &state) != nil)
    }
  }

  @Test func stateRoundTripsThroughTheCodec() throws {
    let detector = NoveltyDetector()
    var state = NoveltyState()
    for i in 0..<700 { _ = detector.observe(sin(Double(i) / 10), state: &state) }
    #expect(try NoveltyState.decode(state.encodedBytes()) == state)
  }
}

/// The `--plot` SVG: one band per window, one marker per alert, escaped text.
@Suite struct SVGPlotTests {
  @Test func plotHasTheSeriesWindowsAndAlerts() {
    let points = (0..<5_000).map { (timeMs: Int64($0) * 60_000, value: sin(Double($0) / 50)) }
    var plot = SVGPlot(title: "pump <7> & co", points: points)
    plot.windows = [(600_000, 1_200_000), (90_000_000, 96_000_000)]
    plot.alerts = [700_000, 91_000_000, 200_000_000]
    plot.probationEndMs = 30_000_000
    let svg = plot.svg()
    #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>\n"))
    #expect(svg.components(separatedBy: "fill=\"#f8c8c8\"").count - 1 == 2 + 1, "2 bands, 1 legend")
    #expect(
      svg.components(separatedBy: "fill=\"#d62728\"").count - 1 == 3 + 1, "3 alerts, 1 legend")
    #expect(svg.contains("pump &lt;7&gt; &amp; co") && svg.contains("probationary period"))
    // 5,000 readings are drawn as at most two points per pixel column.
    let polyline = svg.split(separator: "\n").first { $0.hasPrefix("<polyline") } ?? ""
    #expect(polyline.split(separator: " ").count < 2 * plot.width)
  }
}
