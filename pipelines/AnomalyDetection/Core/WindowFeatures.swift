import Tributary

/// Aggregated features of one sensor over one sliding event-time window.
public struct WindowFeature: Sendable, Equatable {
  /// The sensor.
  public var sensor: Int32
  /// End of the window (exclusive), event time ms.
  public var windowEnd: Int64
  /// Readings in the window.
  public var count: Int64
  /// Mean of the readings.
  public var mean: Double
  /// Smallest reading.
  public var min: Double
  /// Largest reading.
  public var max: Double
  /// Event time of the window's latest reading.
  public var lastTimestampMs: Int64
  /// Input line of the window's latest reading (-1 when generated).
  public var lastLine: Int32

  /// Creates a feature record.
  public init(
    sensor: Int32, windowEnd: Int64, count: Int64, mean: Double, min: Double, max: Double,
    lastTimestampMs: Int64, lastLine: Int32
  ) {
    self.sensor = sensor
    self.windowEnd = windowEnd
    self.count = count
    self.mean = mean
    self.min = min
    self.max = max
    self.lastTimestampMs = lastTimestampMs
    self.lastLine = lastLine
  }
}

/// The accumulator of ``WindowStats``: count, sum, min, max and the latest reading.
public struct WindowAccumulator: BinaryCodable, Equatable {
  /// Readings added.
  public var count: Int64 = 0
  /// Sum of the readings.
  public var sum: Double = 0
  /// Smallest reading.
  public var min: Double = .infinity
  /// Largest reading.
  public var max: Double = -.infinity
  /// Latest event time added.
  public var lastTimestampMs: Int64 = .min
  /// Its input line.
  public var lastLine: Int32 = -1

  /// An empty accumulator.
  public init() {}

  /// Writes the fields in declaration order, fixed width (read back by `decode(from:)`).
  public func encode(to writer: inout BinaryWriter) {
    count.encode(to: &writer)
    sum.encode(to: &writer)
    min.encode(to: &writer)
    max.encode(to: &writer)
    lastTimestampMs.encode(to: &writer)
    lastLine.encode(to: &writer)
  }

  /// Reads the fields written by `encode(to:)`; throws when the bytes are truncated.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    var acc = Self()
    acc.count = try Int64.decode(from: &reader)
    acc.sum = try Double.decode(from: &reader)
    acc.min = try Double.decode(from: &reader)
    acc.max = try Double.decode(from: &reader)
    acc.lastTimestampMs = try Int64.decode(from: &reader)
    acc.lastLine = try Int32.decode(from: &reader)
    return acc
  }
}

/// Incremental window aggregation of readings into count, mean, min and max
/// (one small accumulator per sensor and window, independent of arrival order).
public struct WindowStats: AggregateFunction {
  /// Creates the aggregation.
  public init() {}

  /// An empty accumulator.
  public func createAccumulator() -> WindowAccumulator { WindowAccumulator() }

  /// Adds one reading (end-of-key records add nothing).
  public func add(_ reading: Reading, to acc: WindowAccumulator) -> WindowAccumulator {
    guard reading.flag == .value else { return acc }
    var acc = acc
    acc.count += 1
    acc.sum += reading.value
    acc.min = Swift.min(acc.min, reading.value)
    acc.max = Swift.max(acc.max, reading.value)
    if reading.timestampMs > acc.lastTimestampMs
      || (reading.timestampMs == acc.lastTimestampMs && reading.line > acc.lastLine)
    {
      acc.lastTimestampMs = reading.timestampMs
      acc.lastLine = reading.line
    }
    return acc
  }

  /// The accumulator itself (the window's closure turns it into a ``WindowFeature``).
  public func result(_ acc: WindowAccumulator) -> WindowAccumulator { acc }

  /// Combines two accumulators of the same sensor.
  public func merge(_ a: WindowAccumulator, _ b: WindowAccumulator) -> WindowAccumulator {
    var merged = a
    merged.count += b.count
    merged.sum += b.sum
    merged.min = Swift.min(a.min, b.min)
    merged.max = Swift.max(a.max, b.max)
    if b.lastTimestampMs > a.lastTimestampMs {
      merged.lastTimestampMs = b.lastTimestampMs
      merged.lastLine = b.lastLine
    }
    return merged
  }

  /// The feature record of a fired window.
  public static func feature(sensor: Int32, windowEnd: Int64, _ acc: WindowAccumulator)
    -> WindowFeature
  {
    WindowFeature(
      sensor: sensor, windowEnd: windowEnd, count: acc.count,
      mean: acc.count > 0 ? acc.sum / Double(acc.count) : .nan, min: acc.min, max: acc.max,
      lastTimestampMs: acc.lastTimestampMs, lastLine: acc.lastLine)
  }
}
