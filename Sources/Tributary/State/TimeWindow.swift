/// A window of event (or processing) time: `start` inclusive, `end` exclusive,
/// in milliseconds. The global window spans all of time.
public struct TimeWindow: BinaryCodable, Hashable, Sendable, Comparable, CustomStringConvertible {
  /// First timestamp in the window.
  public var start: Int64
  /// First timestamp after the window.
  public var end: Int64

  /// Creates `[start, end)`.
  @inlinable
  public init(start: Int64, end: Int64) {
    self.start = start
    self.end = end
  }

  /// The window of global windowing (all of time; never ends by time).
  public static let global = TimeWindow(start: .min, end: .max)

  /// The largest timestamp in the window (`end - 1`; `Int64.max` for the global window).
  @inlinable
  public var maxTimestamp: Int64 { end == .max ? .max : end - 1 }

  /// Whether the windows overlap or touch without a gap (session merging).
  @inlinable
  public func intersects(_ other: TimeWindow) -> Bool {
    start <= other.end && other.start <= end
  }

  /// The smallest window covering both.
  @inlinable
  public func cover(_ other: TimeWindow) -> TimeWindow {
    TimeWindow(start: min(start, other.start), end: max(end, other.end))
  }

  @inlinable
  public static func < (a: TimeWindow, b: TimeWindow) -> Bool {
    (a.start, a.end) < (b.start, b.end)
  }

  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    start.encode(to: &writer)
    end.encode(to: &writer)
  }

  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> TimeWindow {
    let start = try Int64.decode(from: &reader)
    return TimeWindow(start: start, end: try Int64.decode(from: &reader))
  }

  public var description: String { "[\(start), \(end))" }
}
