import Synchronization

/// When the source emitted every 1000th W3 event (indices divisible by 1000),
/// for W3's source-to-state latency. A ring of 4096 slots (4 million events):
/// far more than can be in flight between source and keyed operator. Thread-safe.
final class EmissionStamps: Sendable {
  private static let slots = 4_096
  private let ring = Mutex<[(index: Int, nanos: UInt64)]>(
    Array(repeating: (-1, 0), count: EmissionStamps.slots))

  /// Whether event `i` is sampled.
  @inline(__always)
  static func isSampled(_ i: Int) -> Bool { i % 1_000 == 0 }

  /// Event `i` (sampled) is emitted now.
  func stamp(_ i: Int) {
    let now = monotonicNanos()
    ring.withLock { $0[(i / 1_000) % Self.slots] = (i, now) }
  }

  /// When event `i` was emitted, if it is still in the ring.
  func emitted(_ i: Int) -> UInt64? {
    ring.withLock { ring in
      let slot = ring[(i / 1_000) % Self.slots]
      return slot.index == i ? slot.nanos : nil
    }
  }
}
