import Testing

@testable import TributaryNexmark

/// The shared strings of bids (URLs, `extra` paddings) exist in copies with
/// storage of their own; a source of P subtasks makes event n use copy
/// n mod P, which is how subtask n mod P's events never share a string's
/// reference count with another subtask's, and each subtask touches only one
/// copy (few enough strings for its core's cache).
@Suite struct NexmarkStringCopiesTests {
  /// Where a string's bytes live: the identity of its storage.
  static func storage(_ string: String) -> UnsafeRawPointer? {
    var copy = string
    return copy.withUTF8 { UnsafeRawPointer($0.baseAddress) }
  }

  /// The storages of the URLs and paddings of the bids among events `numbers`.
  static func storages(_ generator: NexmarkGenerator, _ numbers: some Sequence<Int>) -> Set<
    UnsafeRawPointer
  > {
    var seen: Set<UnsafeRawPointer> = []
    for n in numbers {
      guard let bid = generator.event(Int64(n)).bid else { continue }
      for string in [bid.url, bid.extra] where string.utf8.count > 15 {
        if let pointer = storage(string) { seen.insert(pointer) }
      }
    }
    return seen
  }

  @Test(arguments: [2, 3, 4])
  func subtasksOfTheSourceShareNoStringStorage(subtasks: Int) {
    var generator = NexmarkGenerator()
    generator.stringCopies = subtasks
    let perSubtask = (0..<subtasks).map { s in
      Self.storages(generator, stride(from: s, to: 40_000, by: subtasks))
    }
    for a in 0..<subtasks {
      #expect(!perSubtask[a].isEmpty)
      for b in (a + 1)..<subtasks {
        #expect(perSubtask[a].isDisjoint(with: perSubtask[b]), "subtasks \(a) and \(b)")
      }
    }
  }

  @Test func oneSubtaskUsesOneCopyOfAHotChannelsURL() {
    var generator = NexmarkGenerator()
    generator.stringCopies = 1
    var urls: [String: Set<UnsafeRawPointer>] = [:]
    for n in 0..<20_000 {
      if let bid = generator.event(Int64(n)).bid, let pointer = Self.storage(bid.url) {
        urls[bid.channel, default: []].insert(pointer)
      }
    }
    #expect(urls["Google"]?.count == 1)
  }

  @Test func theCopiesDoNotChangeTheEvents() {
    var one = NexmarkGenerator()
    one.stringCopies = 1
    let eight = NexmarkGenerator()
    for n in 0..<5_000 { #expect(one.event(Int64(n)) == eight.event(Int64(n))) }
  }
}
