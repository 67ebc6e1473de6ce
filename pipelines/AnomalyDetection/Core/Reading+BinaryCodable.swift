import Tributary

/// The readings and window features that cross `keyBy` travel between the
/// instances of a scaled-out run (docs/scale-out.md) in the binary codec.
extension Reading: BinaryCodable {
  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    sensor.encode(to: &writer)
    timestampMs.encode(to: &writer)
    value.encode(to: &writer)
    line.encode(to: &writer)
    flag.rawValue.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote; an unknown flag is a `CodecError`.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Reading {
    let sensor = try Int32.decode(from: &reader)
    let timestampMs = try Int64.decode(from: &reader)
    let value = try Double.decode(from: &reader)
    let line = try Int32.decode(from: &reader)
    let raw = try UInt8.decode(from: &reader)
    guard let flag = Flag(rawValue: raw) else {
      throw .invalid(type: "Reading", reason: "unknown flag \(raw)")
    }
    return Reading(sensor: sensor, timestampMs: timestampMs, value: value, line: line, flag: flag)
  }
}

extension WindowFeature: BinaryCodable {
  /// Writes the fields in declaration order.
  public func encode(to writer: inout BinaryWriter) {
    sensor.encode(to: &writer)
    windowEnd.encode(to: &writer)
    count.encode(to: &writer)
    mean.encode(to: &writer)
    min.encode(to: &writer)
    max.encode(to: &writer)
    lastTimestampMs.encode(to: &writer)
    lastLine.encode(to: &writer)
  }

  /// Reads what ``encode(to:)`` wrote.
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> WindowFeature {
    WindowFeature(
      sensor: try .decode(from: &reader), windowEnd: try .decode(from: &reader),
      count: try .decode(from: &reader), mean: try .decode(from: &reader),
      min: try .decode(from: &reader), max: try .decode(from: &reader),
      lastTimestampMs: try .decode(from: &reader), lastLine: try .decode(from: &reader))
  }
}
