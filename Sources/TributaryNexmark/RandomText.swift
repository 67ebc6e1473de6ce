import Foundation

extension NexmarkGenerator {
  /// A price in cents, log-uniform between 1 dollar and 1 million dollars.
  func randomPrice(_ random: inout EventRandom) -> Int64 {
    // 10^(6u) as e^(6u ln 10): exp is cheaper than pow.
    Int64((exp(random.nextDouble() * 13.815_510_557_964_274) * 100).rounded())
  }

  /// The 338 characters random text draws from: 26 spaces, then the 26
  /// lowercase letters 12 times.
  static let textCharacters: [UInt8] =
    Array(repeating: 0x20, count: 26) + (0..<312).map { 0x61 + UInt8($0 % 26) }

  /// Between 3 and `maxLength − 1` random lowercase letters and spaces (about
  /// one in 13), without leading or trailing spaces.
  func randomString(_ random: inout EventRandom, maxLength: Int) -> String {
    String(unsafeUninitializedCapacity: maxLength - 1) { buffer in
      writeRandomString(&random, maxLength: maxLength, to: buffer.baseAddress!)
    }
  }

  /// Writes what ``randomString(_:maxLength:)`` returns to `base` (room for
  /// `maxLength − 1` bytes) and returns its length: the letters are drawn in
  /// place, then the leading and trailing spaces cut off.
  func writeRandomString(
    _ random: inout EventRandom, maxLength: Int, to base: UnsafeMutablePointer<UInt8>
  ) -> Int {
    let length = 3 + random.nextInt(maxLength - 3)
    // Each character is one of 338 values (13 × 26), read from a table: the
    // first 26 a space (1 in 13), the other 312 the 26 letters 12 times over.
    // A 64-bit draw gives three 21-bit parts, each scaled to 0..<338 by a
    // multiplication (uneven by at most 1 in 6,000); the characters do not
    // depend on each other, so there is no chain of divisions and no branch.
    var bits: UInt64 = 0
    var left = 0
    let table = Self.textCharacters
    for i in 0..<length {
      if left == 0 {
        bits = random.next()
        left = 3
      }
      base[i] = table[Int(((bits & 0x1F_FFFF) &* 338) >> 21)]
      bits >>= 21
      left -= 1
    }
    var start = 0
    var end = length
    while start < end && base[start] == 0x20 { start += 1 }
    while end > start && base[end - 1] == 0x20 { end -= 1 }
    // Shift left over the leading spaces (forwards: the regions may overlap).
    if start > 0 { for i in start..<end { base[i - start] = base[i] } }
    return end - start
  }

  /// Random lowercase letters that bring a record of `currentSize` bytes to
  /// `average` bytes on average (± 20 %); empty when it is already larger.
  /// The length is drawn here; the letters are one of the prebuilt paddings
  /// of that length (``PaddingPool``), or for a length beyond them a slice of
  /// the fixed letter pool at a random offset.
  func randomExtra(_ random: inout EventRandom, currentSize: Int, average: Int) -> String {
    guard currentSize <= average else { return "" }
    let wanted = average - currentSize
    let delta = Int((Double(wanted) * 0.2).rounded())
    let length = wanted - delta + (delta == 0 ? 0 : random.nextInt(2 * delta))
    if length <= Vocabulary.paddings.maxLength {
      return Vocabulary.paddings.padding(
        length: length, variant: random.nextInt(PaddingPool.variants), copy: random.copy)
    }
    let pool = Vocabulary.letterPool.letters
    guard length <= pool.count else { return randomLetters(&random, count: length) }
    let start = random.nextInt(pool.count - length + 1)
    return String(unsafeUninitializedCapacity: length) { buffer in
      buffer.baseAddress!.initialize(from: pool.baseAddress! + start, count: length)
      return length
    }
  }

  /// `count` random lowercase letters, drawn one by one.
  func randomLetters(_ random: inout EventRandom, count: Int) -> String {
    String(unsafeUninitializedCapacity: count) { buffer in
      var bits: UInt64 = 0
      var left = 0
      for i in 0..<count {
        if left == 0 {
          bits = random.next()
          left = 12  // 26^12 < 2^64: twelve letters per draw
        }
        buffer[i] = 0x61 + UInt8(bits % 26)
        bits /= 26
        left -= 1
      }
      return count
    }
  }
}
