import Testing

@testable import Tributary

/// Interval text as the command lines accept it.
@Test func intervalTextParses() {
  #expect(Interval(parsing: "off") == .off)
  #expect(Interval(parsing: "NONE") == .off)
  #expect(Interval(parsing: "250ms") == .milliseconds(250))
  #expect(Interval(parsing: "2s") == .milliseconds(2_000))
  #expect(Interval(parsing: "1m") == .milliseconds(60_000))
  #expect(Interval(parsing: "2s")?.millisecondsValue == 2_000)
  #expect(Interval(parsing: "off")?.millisecondsValue == nil)
  for bad in ["", "soon", "0s", "-5ms", "1.5s", "10", "ms"] {
    #expect(Interval(parsing: bad) == nil, "\(bad)")
  }
}
