/// A SplitMix64 sequence seeded by one event number (and the configuration's
/// seed): every random choice of event `n` is drawn from it, so event `n` is
/// the same whichever subtask generates it and whatever was generated before.
@usableFromInline
struct EventRandom {
  @usableFromInline var state: UInt64
  /// Which copy of the shared strings (``Vocabulary/copies``) the event
  /// uses: its number modulo `copies`, the number of the source's subtasks
  /// (at most ``Vocabulary/copies``). Subtask `s` of `P` generates the
  /// numbers ≡ `s` mod `P`, so with `copies` = `P` each subtask uses one
  /// copy of its own: no string's reference count moves between cores, and
  /// a subtask's strings stay few enough for its core's cache. Every copy
  /// has the same contents, so the events do not depend on it.
  @usableFromInline let copy: Int

  @inlinable
  init(eventNumber: Int64, seed: UInt64, copies: Int = Vocabulary.copies) {
    state = (UInt64(bitPattern: eventNumber) &* 0xD1B5_4A32_D192_ED03) ^ seed
    copy = Int(UInt64(bitPattern: eventNumber) % UInt64(copies))
    _ = next()
  }

  /// The next 64 random bits.
  @inlinable
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<n` (`n > 0`), by multiply-high (no division).
  @inlinable
  mutating func nextInt(_ n: Int) -> Int {
    Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: next()).high)
  }

  /// A uniform integer in `0..<n` (`n > 0`).
  @inlinable
  mutating func nextInt64(_ n: Int64) -> Int64 {
    Int64(bitPattern: UInt64(n).multipliedFullWidth(by: next()).high)
  }

  /// A uniform double in `[0, 1)`.
  @inlinable
  mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
