import Tributary

/// One sensor reading as it travels through the pipeline: a plain value with
/// no strings, so the per-record path never allocates.
public struct Reading: Sendable, Equatable {
  /// What a record stands for.
  public enum Flag: UInt8, Sendable {
    /// A measured value.
    case value = 0
    /// No reading at this slot (the generator's silent sensor); dropped by the source.
    case gap = 1
    /// The last record of a key's input (a file ended): silence after it is not an anomaly.
    case endOfKey = 2
  }

  /// The sensor (key) number: an index into the run's key names.
  public var sensor: Int32
  /// Event time in milliseconds.
  public var timestampMs: Int64
  /// The measured value.
  public var value: Double
  /// Index of the input line whose timestamp text this reading carries; -1 when generated.
  public var line: Int32
  /// What the record stands for.
  public var flag: Flag

  /// Creates a reading.
  public init(
    sensor: Int32, timestampMs: Int64, value: Double, line: Int32 = -1, flag: Flag = .value
  ) {
    self.sensor = sensor
    self.timestampMs = timestampMs
    self.value = value
    self.line = line
    self.flag = flag
  }
}
