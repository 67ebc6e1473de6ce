import Foundation

/// NAB's cost weights (a "profile"): the reward for a detected window and the
/// costs of a false positive and of a missed window.
public struct NABProfile: Sendable {
  /// Reward weight of a true positive (A_TP).
  public var truePositive: Double
  /// Cost weight of a false positive (A_FP).
  public var falsePositive: Double
  /// Cost weight of a missed window (A_FN).
  public var falseNegative: Double

  /// NAB's standard profile: A_TP = 1, A_FP = 0.11, A_FN = 1.
  public static let standard = NABProfile(truePositive: 1, falsePositive: 0.11, falseNegative: 1)
}

/// The score of one file.
public struct NABFileScore: Sendable {
  /// The key (file base name).
  public var key: String
  /// Rows (good lines) in the file.
  public var rows: Int
  /// Rows in the probationary period (ignored by the score).
  public var probation: Int
  /// Per labeled window: whether an alert fell inside, and for the first one
  /// how early it was (time from the alert to the window's end, ms).
  public var windows: [(hit: Bool, leadMs: Int64?)]
  /// Alerts outside every window (after the probationary period).
  public var falsePositives: Int
  /// Raw NAB score of the file.
  public var raw: Double
  /// Raw score of the null detector (no alerts).
  public var null: Double
  /// Raw score of the perfect detector (one alert at the start of each window).
  public var perfect: Double
}

/// NAB scoring of binary alerts against labeled windows (the semantics of
/// NAB's `sweeper.py`, written here from its description).
///
/// Per file, rows are its good lines in file order; the first
/// `min(⌊0.15·rows⌋, 750)` rows are probationary and ignored. In a window of
/// `w` rows ending at row `r`, an alert at row `i` is worth
/// `A_TP · σ(−(r − i + 1)/w) / σ(−1)` with the scaled sigmoid
/// `σ(x) = 2/(1 + e^{5x}) − 1` (so the earliest alert is worth `A_TP`); only
/// the best alert of a window counts, and a window without alerts costs
/// `−A_FN`. An alert outside windows costs `A_FP · σ(d)`, with `d` its
/// distance after the previous window's end in units of that window's width
/// (−A_FP when no window precedes it, or `d ≥ 3`). The normalised score is
/// `100 · (raw − null) / (perfect − null)` over all files, where the null
/// detector raises no alert and the perfect one alerts at each window's start.
public enum NABScorer {
  /// NAB's scaled sigmoid of a relative position.
  public static func scaledSigmoid(_ position: Double) -> Double {
    position >= 3 ? -1 : 2 / (1 + exp(5 * position)) - 1
  }

  /// Scores one file: `rows` are its rows (time ms) in file order, `alerts`
  /// the indices of rows that carry an alert, `windows` the labeled windows.
  public static func score(
    key: String, rows: [Int64], alertRows: Set<Int>, windows: [(startMs: Int64, endMs: Int64)],
    profile: NABProfile = .standard
  ) -> NABFileScore {
    let n = rows.count
    let probation = min(Int((0.15 * Double(n)).rounded(.down)), 750)
    // Window row ranges: first row at or after start, last row at or before end.
    var ranges: [ClosedRange<Int>] = []
    for window in windows {
      guard let left = rows.firstIndex(where: { $0 >= window.startMs }),
        let right = rows.lastIndex(where: { $0 <= window.endMs }), left <= right
      else { continue }
      ranges.append(left...right)
    }
    let maxTP = scaledSigmoid(-1)
    var best = [Double?](repeating: nil, count: ranges.count)
    var hits = [(hit: Bool, leadMs: Int64?)](repeating: (false, nil), count: ranges.count)
    var fpScore = 0.0
    var falsePositives = 0
    for i in alertRows.sorted() where i >= 0 && i < n {
      if let w = ranges.firstIndex(where: { $0.contains(i) }) {
        if !hits[w].hit { hits[w] = (true, rows[ranges[w].upperBound] - rows[i]) }
        guard i >= probation else { continue }
        let width = Double(ranges[w].count)
        let value =
          scaledSigmoid(-Double(ranges[w].upperBound - i + 1) / width) * profile.truePositive
          / maxTP
        best[w] = max(best[w] ?? -.infinity, value)
      } else {
        guard i >= probation else { continue }
        falsePositives += 1
        if let previous = ranges.lastIndex(where: { $0.upperBound < i }) {
          let width = Double(ranges[previous].count)
          let distance = Double(i - ranges[previous].upperBound) / max(width - 1, 1)
          fpScore += scaledSigmoid(distance) * profile.falsePositive
        } else {
          fpScore -= profile.falsePositive
        }
      }
    }
    // Windows entirely inside the probationary period are not scored.
    var raw = fpScore
    var scored = 0
    for (w, range) in ranges.enumerated() where range.upperBound >= probation {
      scored += 1
      raw += max(-profile.falseNegative, best[w] ?? -profile.falseNegative)
    }
    return NABFileScore(
      key: key, rows: n, probation: probation, windows: hits, falsePositives: falsePositives,
      raw: raw, null: -profile.falseNegative * Double(scored),
      perfect: profile.truePositive * Double(scored))
  }

  /// The normalised NAB score (0 = null detector, 100 = perfect) of several files.
  public static func normalised(_ files: [NABFileScore]) -> Double {
    let raw = files.reduce(0) { $0 + $1.raw }
    let null = files.reduce(0) { $0 + $1.null }
    let perfect = files.reduce(0) { $0 + $1.perfect }
    guard perfect > null else { return 0 }
    return 100 * (raw - null) / (perfect - null)
  }
}
