extension Duration {
  /// Whole milliseconds, at least 1 (nats.c treats 0 as "no timeout" or "invalid" in most
  /// calls), saturating instead of overflowing.
  var natsMilliseconds: Int64 {
    let (seconds, attoseconds) = components
    let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
    if overflow { return seconds < 0 ? 1 : Int64.max }
    return Swift.max(1, millis &+ attoseconds / 1_000_000_000_000_000)
  }

  /// Whole nanoseconds (JetStream configuration durations), saturating.
  var natsNanoseconds: Int64 {
    let (seconds, attoseconds) = components
    let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? 0 : Int64.max }
    return Swift.max(0, nanos &+ attoseconds / 1_000_000_000)
  }
}
