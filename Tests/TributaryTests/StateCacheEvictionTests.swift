import Foundation
import Testing

@testable import Tributary

/// How the RocksDB write-back cache evicts, seen through its hash map.
@Suite struct StateCacheEvictionTests {
  /// Regression (Nexmark q5 on RocksDB stalled once its windows outgrew the
  /// cache): the CLOCK hand visited the cache map's slots in storage order and
  /// evicted the cold entries it passed, so the slots just behind it emptied
  /// while those just ahead of it filled with a whole revolution's insertions.
  /// With linear probing that dense region merged into one run of thousands of
  /// slots at a load of 0.7, and every new window's lookup and every evicted
  /// entry's backward shift walked it. Here, as in q5, every key is new, is
  /// written in five sliding windows once and never touched again: the longest
  /// run of occupied slots must stay short while the cache evicts, and every
  /// value must still be found (in the cache or in RocksDB).
  @Test func evictionKeepsProbeRunsShort() throws {
    let h = try StateHarness<Int64>(.rocksDefaultCache)
    defer { h.close() }
    let db = try h.db
    func table(budget: StateCacheBudget) -> RocksDBStateTable<Int64, TimeWindow, Int64> {
      RocksDBStateTable(
        db: db, name: "window-contents", stateId: 9, maxParallelism: 128, keyGroups: 0..<128,
        budget: budget)
    }
    // A budget of 1,500 entries: the map (2,048 slots) runs at a load of up to 0.73.
    let entryCost = table(budget: StateCacheBudget(limitBytes: 0)).entryCost
    let windows = table(budget: StateCacheBudget(limitBytes: 1_500 * entryCost))
    let auctions: Int64 = 3_000
    func window(_ index: Int64) -> TimeWindow {
      TimeWindow(start: index * 2_000 - 8_000, end: index * 2_000 + 2_000)
    }
    var longest = 0
    for auction in 0..<auctions {
      for index in Int64(0)..<5 {
        try windows.modify(StateKey(auction, window(index))) { count in count = (count ?? 0) + 1 }
      }
      if auction % 25 == 0 { longest = max(longest, windows.cache.longestOccupiedRun()) }
    }
    #expect(windows.cache.slotCount == 2_048)
    #expect(longest <= 128, "longest probe run \(longest) of \(windows.cache.slotCount) slots")
    var wrong = 0
    for auction in 0..<auctions {
      for index in Int64(0)..<5 where try windows.get(StateKey(auction, window(index))) != 1 {
        wrong += 1
      }
    }
    #expect(wrong == 0)
  }
}
