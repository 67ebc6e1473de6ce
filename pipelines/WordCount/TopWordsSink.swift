import Tributary

/// Keeps the latest running count of every word; at the end prints the top words.
final class TopWordsSink: StreamSink {
  typealias Input = WordCount
  private var latest: [String: Int] = [:]
  private let top: Int

  init(top: Int) { self.top = top }

  func write(_ batch: [WordCount]) throws {
    for update in batch { latest[update.word] = update.count }
  }

  func finish() throws {
    let ranked = latest.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    print("top \(min(top, ranked.count)) of \(ranked.count) distinct words:")
    for (rank, entry) in ranked.prefix(top).enumerated() {
      print("\(String(rank + 1).leftPadded(3)). \(entry.key.rightPadded(14)) \(entry.value)")
    }
  }
}

extension String {
  func leftPadded(_ width: Int) -> String {
    String(repeating: " ", count: max(0, width - count)) + self
  }
  func rightPadded(_ width: Int) -> String {
    self + String(repeating: " ", count: max(0, width - count))
  }
}
