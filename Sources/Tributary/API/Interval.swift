/// An interval as written on command lines: `250ms`, `2s`, `1m`, or `off`.
public enum Interval: Equatable, Sendable {
  /// No interval (the feature is off).
  case off
  /// A positive number of milliseconds.
  case milliseconds(Int64)

  /// Parses `off`/`none`, or a positive integer with the unit `ms`, `s` or `m`;
  /// `nil` for anything else.
  public init?(parsing text: String) {
    let lower = text.lowercased()
    if lower == "off" || lower == "none" {
      self = .off
      return
    }
    for (suffix, factor) in [("ms", Int64(1)), ("s", 1_000), ("m", 60_000)]
    where lower.hasSuffix(suffix) {
      guard let value = Int64(lower.dropLast(suffix.count)), value > 0 else { return nil }
      self = .milliseconds(value * factor)
      return
    }
    return nil
  }

  /// The milliseconds, or `nil` when off.
  public var millisecondsValue: Int64? {
    if case .milliseconds(let value) = self { return value }
    return nil
  }
}
