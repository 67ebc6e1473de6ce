/// The slices of sliding windows whose size is a multiple of their slide: a
/// slice is one slide-long stretch of time, and each window is the union of
/// `size / slide` consecutive slices. An aggregate kept per slice (instead of
/// per window) takes one state update per record instead of `size / slide`,
/// and a window's result is the merge of its slices' accumulators.
///
/// Pure arithmetic on millisecond timestamps; windows are named by their end
/// (`maxTimestamp`), slices by their `TimeWindow`.
public struct WindowSlices: Sendable, Hashable {
  /// The window size.
  public let size: Int64
  /// The slide: the length of one slice.
  public let slide: Int64
  /// The windows' offset from the epoch.
  public let offset: Int64

  /// The slices of sliding windows of `size` every `slide` at `offset`, or
  /// `nil` when the size is not a multiple of the slide or a window would
  /// have more than 64 slices (a window's slices are tracked in 64 bits).
  public init?(size: Int64, slide: Int64, offset: Int64) {
    guard slide > 0, size > slide, size % slide == 0, size / slide <= 64 else { return nil }
    self.size = size
    self.slide = slide
    self.offset = offset
  }

  /// The number of slices in one window.
  @inlinable public var slicesPerWindow: Int { Int(size / slide) }

  /// The slice holding `timestamp`.
  @inlinable
  public func slice(containing timestamp: Int64) -> TimeWindow {
    var r = (timestamp - offset) % slide
    if r < 0 { r += slide }
    let start = timestamp - r
    return TimeWindow(start: start, end: start + slide)
  }

  /// The end (`maxTimestamp`) of the last window that contains `slice`: when
  /// it fires, the slice is no longer needed.
  @inlinable
  public func lastWindowEnd(of slice: TimeWindow) -> Int64 { slice.start + size - 1 }

  /// Calls `body(end, index)` for each window containing `slice`, earliest
  /// first: the window's end (`maxTimestamp`) and the slice's position in it
  /// (0 = the window's first slice).
  @inlinable
  public func forEachWindow(of slice: TimeWindow, _ body: (Int64, Int) throws -> Void) rethrows {
    let count = slicesPerWindow
    for j in 1...count {
      try body(slice.start + slide * Int64(j) - 1, count - j)
    }
  }

  /// The window ending at `end` (its `maxTimestamp`).
  @inlinable
  public func window(endingAt end: Int64) -> TimeWindow {
    TimeWindow(start: end + 1 - size, end: end + 1)
  }

  /// Slice `index` (0 = first) of `window`.
  @inlinable
  public func slice(_ index: Int, of window: TimeWindow) -> TimeWindow {
    let start = window.start + slide * Int64(index)
    return TimeWindow(start: start, end: start + slide)
  }
}

/// The state of one slice: its accumulator and the end of the last of its
/// windows that fired (`Int64.min` while none did), so that a restore fires
/// each of its windows once.
public struct SliceAccumulator<Acc: BinaryCodable>: BinaryCodable {
  /// The slice's accumulator (`nil` only before its first record is added).
  public var acc: Acc?
  /// The end (`maxTimestamp`) of the last window of this slice that fired.
  public var firedThrough: Int64

  /// A slice state.
  @inlinable
  public init(acc: Acc?, firedThrough: Int64) {
    self.acc = acc
    self.firedThrough = firedThrough
  }

  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    acc.encode(to: &writer)
    firedThrough.encode(to: &writer)
  }

  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let acc = try Acc?.decode(from: &reader)
    return Self(acc: acc, firedThrough: try Int64.decode(from: &reader))
  }
}
