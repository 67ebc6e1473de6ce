/// The relative bounds of an interval join, in whole milliseconds, both
/// inclusive: a left record at `t` joins every right record of its key at
/// `s` with `t + lower <= s <= t + upper`.
///
/// It also fixes how long each side is buffered and when a record is late,
/// so that every pair of accepted records is emitted exactly once:
/// - a left record at `t` is late when `t + max(upper, 0) <= watermark`, a right
///   record at `s` when `s - min(lower, 0) <= watermark` (a record is late only
///   when it is behind the watermark by more than the interval allows; on-time
///   records, `timestamp > watermark`, are never late);
/// - an accepted left record is kept until the watermark reaches
///   ``leftCleanupTime(_:)``, a right one until ``rightCleanupTime(_:)``: no
///   accepted record arriving later can match it, and every record accepted
///   before that finds all its earlier partners still buffered.
public struct IntervalJoinBounds: Sendable, Hashable {
  /// The smallest `right.timestamp - left.timestamp` that joins.
  public let lower: Int64
  /// The largest `right.timestamp - left.timestamp` that joins.
  public let upper: Int64

  /// Bounds from `lower`/`upper` (whole milliseconds); an exclusive bound
  /// moves one millisecond inwards.
  /// - Precondition: the resulting `lower <= upper`.
  public init(
    lower: Duration, upper: Duration, lowerExclusive: Bool = false, upperExclusive: Bool = false
  ) {
    let lower = lower.milliseconds + (lowerExclusive ? 1 : 0)
    let upper = upper.milliseconds - (upperExclusive ? 1 : 0)
    precondition(
      lower <= upper,
      "interval join: the lower bound (\(lower) ms) must not be above the upper bound (\(upper) ms)"
    )
    self.lower = lower
    self.upper = upper
  }

  /// Whether a right record at `right` joins a left record at `left`.
  @inlinable
  public func joins(left: Int64, right: Int64) -> Bool {
    let difference = right.subtractingSaturated(left)
    return difference >= lower && difference <= upper
  }

  /// Whether a left record at `timestamp` is late at `watermark`.
  @inlinable
  public func isLateLeft(_ timestamp: Int64, watermark: Int64) -> Bool {
    timestamp.addingSaturated(max(upper, 0)) <= watermark
  }

  /// Whether a right record at `timestamp` is late at `watermark`.
  @inlinable
  public func isLateRight(_ timestamp: Int64, watermark: Int64) -> Bool {
    timestamp.subtractingSaturated(min(lower, 0)) <= watermark
  }

  /// How long after its timestamp a left record stays buffered.
  @inlinable var leftRetention: Int64 { upper - min(lower, 0) }
  /// How long after its timestamp a right record stays buffered.
  @inlinable var rightRetention: Int64 { max(upper, 0) - lower }

  /// The event time at which a left record at `timestamp` is removed.
  @inlinable
  public func leftCleanupTime(_ timestamp: Int64) -> Int64 {
    timestamp.addingSaturated(leftRetention)
  }

  /// The event time at which a right record at `timestamp` is removed.
  @inlinable
  public func rightCleanupTime(_ timestamp: Int64) -> Int64 {
    timestamp.addingSaturated(rightRetention)
  }
}

extension Int64 {
  @inlinable
  func addingSaturated(_ other: Int64) -> Int64 {
    let (sum, overflow) = addingReportingOverflow(other)
    return overflow ? (other > 0 ? .max : .min) : sum
  }

  @inlinable
  func subtractingSaturated(_ other: Int64) -> Int64 {
    let (difference, overflow) = subtractingReportingOverflow(other)
    return overflow ? (other > 0 ? .min : .max) : difference
  }
}
