/// A deterministic generated text: word `i` of the text is drawn from a fixed
/// vocabulary with a Zipf-like skew, from a hash of `i` (same text every run).
enum GeneratedText {
  static let vocabulary: [String] = [
    "the", "river", "flows", "into", "stream", "of", "events", "and", "every", "window",
    "closes", "when", "watermark", "passes", "state", "is", "kept", "in", "rocksdb", "swift",
    "tributary", "checkpoint", "barrier", "aligns", "key", "group", "operator", "task", "batch",
    "record", "source", "sink", "time", "exactly", "once", "recovery", "snapshot", "latency",
  ]

  /// The word at position `i`.
  static func word(_ i: Int) -> String {
    var h = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 29
    h &*= 0xBF58_476D_1CE4_E5B9
    h ^= h >> 32
    // Zipf-like: squaring a uniform number favours small indices.
    let u = Double(h % 1_000_000) / 1_000_000
    return vocabulary[Int(u * u * Double(vocabulary.count))]
  }

  /// Line `n` of the text: ten words.
  static func line(_ n: Int) -> String {
    (0..<10).map { word(n * 10 + $0) }.joined(separator: " ")
  }
}
