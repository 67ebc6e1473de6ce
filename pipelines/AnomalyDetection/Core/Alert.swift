import Tributary

/// The kinds of anomaly the detectors report.
public enum AlertKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  /// One or a few readings far outside the expected range (EWMA z-score).
  case spike = 0
  /// The level of a window's mean jumped (sliding-window features).
  case levelShift = 1
  /// The window means moved away slowly (CUSUM over sliding-window features).
  case drift = 2
  /// The same value repeated for many readings of a sensor that normally varies.
  case stuck = 3
  /// No reading for longer than the silence threshold (event-time timer).
  case silent = 4
  /// The sensor kept producing sequences of values it never produced before
  /// (``NoveltyDetector``, the `--input` path).
  case novelty = 5

  /// The name used in JSON and summaries (`spike`, `level_shift`, `drift`, `stuck`, `silent`).
  public var description: String {
    switch self {
    case .spike: "spike"
    case .levelShift: "level_shift"
    case .drift: "drift"
    case .stuck: "stuck"
    case .silent: "silent"
    case .novelty: "novelty"
    }
  }

  /// The kind named `name` (as in ``description``), if any.
  public init?(name: String) {
    guard let kind = Self.allCases.first(where: { $0.description == name }) else { return nil }
    self = kind
  }
}

/// One anomaly: which sensor, when (event time), what kind, the observed
/// value, the range the detector expected and a score (how far outside, in
/// the detector's units of spread). A plain value; JSON is built only when an
/// alert is written.
public struct Alert: Sendable, Equatable {
  /// The sensor (index into the key names).
  public var sensor: Int32
  /// Event time of the alert in milliseconds.
  public var timestampMs: Int64
  /// What was detected.
  public var kind: AlertKind
  /// The observed value (for window alerts: the window mean).
  public var value: Double
  /// How anomalous: the z-score or CUSUM statistic that crossed its threshold.
  public var score: Double
  /// Lower end of the expected range.
  public var expectedLow: Double
  /// Upper end of the expected range.
  public var expectedHigh: Double
  /// Input line whose timestamp text the alert carries; -1 when generated.
  public var line: Int32

  /// Creates an alert.
  public init(
    sensor: Int32, timestampMs: Int64, kind: AlertKind, value: Double, score: Double,
    expectedLow: Double, expectedHigh: Double, line: Int32
  ) {
    self.sensor = sensor
    self.timestampMs = timestampMs
    self.kind = kind
    self.value = value
    self.score = score
    self.expectedLow = expectedLow
    self.expectedHigh = expectedHigh
    self.line = line
  }

  /// The alert as one JSON object on one line: `key`, `timestamp` (the input's
  /// text when given, else ISO 8601 UTC), `event_time_ms`, `kind`, `value`,
  /// `score`, `expected_low`, `expected_high`. The same alert always gives the
  /// same bytes.
  public func json(key: String, timestampText: String?) -> String {
    let time = timestampText ?? Timestamps.iso8601(millis: timestampMs)
    return "{\"key\":\(JSONText.quoted(key)),\"timestamp\":\(JSONText.quoted(time)),"
      + "\"event_time_ms\":\(timestampMs),\"kind\":\"\(kind)\",\"value\":\(JSONText.number(value)),"
      + "\"score\":\(JSONText.number(score)),\"expected_low\":\(JSONText.number(expectedLow)),"
      + "\"expected_high\":\(JSONText.number(expectedHigh))}"
  }
}

/// Minimal JSON text helpers (no Foundation on the output path).
public enum JSONText {
  /// `text` as a JSON string literal.
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A JSON number rounded to 4 decimals (`null` for NaN and infinities).
  public static func number(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    let rounded = (value * 10_000).rounded() / 10_000
    return rounded == rounded.rounded() && abs(rounded) < 1e15
      ? String(Int64(rounded)) : "\(rounded)"
  }
}
