/// The canonical benchmark event for index i (see the issues): shared by all workloads.
struct CanonicalEvent: Sendable {
  var key: Int64
  var timestampMs: Int64
  var value: Int64

  /// Event `i` of W1/W2: `key = i % 10_000`, `timestamp_ms = i / 1_000`, `value = i % 100`.
  @inline(__always)
  static func make(_ i: Int) -> CanonicalEvent {
    CanonicalEvent(key: Int64(i % 10_000), timestampMs: Int64(i / 1_000), value: Int64(i % 100))
  }

  /// The index `i` of a W1/W2 event made by ``make(_:)``: `timestamp_ms * 1000 + key % 1000`.
  @inline(__always)
  static func index(of event: CanonicalEvent) -> Int {
    Int(event.timestampMs) * 1_000 + Int(event.key % 1_000)
  }
}
