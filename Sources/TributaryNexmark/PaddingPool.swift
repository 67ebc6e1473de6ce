/// Prebuilt `extra` paddings: ``variants`` strings of every length up to
/// ``maxLength``, each cut from ``Vocabulary/letterPool`` at its own offset,
/// in ``copies`` copies with storage of their own (``Vocabulary/copies``:
/// subtasks on different cores do not share them).
///
/// Handing out one of them costs a reference count, where building the
/// padding afresh cost an allocation, a copy and a UTF-8 check per event — a
/// sixth of the generator's time, since almost every event is a bid with
/// 55–81 letters of padding. The lengths (and so the events' sizes) are drawn
/// exactly as before; only the letters repeat across events, which padding
/// does not care about. Immutable after creation, so safe to share.
struct PaddingPool: Sendable {
  /// Strings per length.
  static let variants = 16
  /// The longest padding held; longer ones are built when asked for.
  let maxLength: Int
  /// How many copies of every padding there are.
  let copies: Int
  /// `strings[(copy * (maxLength + 1) + length) * variants + variant]`.
  private let strings: [String]

  /// Builds `copies` copies of the paddings of lengths `0...maxLength` (at
  /// most the letter pool's size); every copy holds the same letters.
  init(maxLength: Int, copies: Int) {
    let letters = Vocabulary.letterPool.letters
    let maxLength = min(maxLength, letters.count)
    self.maxLength = maxLength
    self.copies = copies
    var strings: [String] = []
    strings.reserveCapacity(copies * (maxLength + 1) * Self.variants)
    for _ in 0..<copies {
      // The same draws for every copy: the same letters, other storage.
      var random = EventRandom(eventNumber: 0, seed: 0x7061_6464_696E_67)
      for length in 0...maxLength {
        for _ in 0..<Self.variants {
          let start = random.nextInt(letters.count - length + 1)
          strings.append(
            String(unsafeUninitializedCapacity: length) { buffer in
              if length > 0 {
                buffer.baseAddress!.initialize(from: letters.baseAddress! + start, count: length)
              }
              return length
            })
        }
      }
    }
    self.strings = strings
  }

  /// Copy `copy` (in `0..<copies`) of padding `variant` (in `0..<variants`)
  /// of `length` (at most ``maxLength``) letters.
  @inline(__always)
  func padding(length: Int, variant: Int, copy: Int) -> String {
    strings[(copy &* (maxLength &+ 1) &+ length) &* Self.variants &+ variant]
  }
}
