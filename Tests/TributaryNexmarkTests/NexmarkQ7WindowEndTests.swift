import Foundation
import Testing
import Tributary

@testable import TributaryNexmark

/// q7 at the windows' ends, with hand-made bids. Nexmark's SQL joins each
/// window's maximum to the bids with `dateTime BETWEEN window_end − 10 s AND
/// window_end`, both inclusive: a bid stamped exactly at a window's end (the
/// next window's first millisecond) with that window's maximum price is a row
/// of it too, without counting toward its maximum. (The generated events of
/// ``NexmarkQueryTests`` have no bid at a window's end: at 1,000 events per
/// second those milliseconds hold persons.)
@Suite struct NexmarkQ7WindowEndTests {
  /// A window's start (a multiple of 10 s); window k is
  /// `[start + k · 10 s, start + (k + 1) · 10 s)`.
  static let start: Int64 = 1_436_918_400_000

  /// A bid named by its `extra`, `offset` ms after ``start``.
  static func bid(_ name: String, auction: Int64, price: Int64, at offset: Int64) -> Bid {
    Bid(
      auction: auction, bidder: auction + 1_000, price: price, channel: "Google",
      url: "https://www.nexmark.com/", dateTime: start + offset, extra: name)
  }

  /// In time order. Window 0's maximum is 700, window 1's 900, window 2's
  /// 900 (`end1-both` alone), window 3's 1000.
  static let bids: [Bid] = [
    // At window 0's start: the end of an empty window, which has no row.
    bid("end-1-empty", auction: 1000, price: 100, at: 0),
    bid("w0", auction: 1001, price: 500, at: 1_000),
    bid("w0-max", auction: 1002, price: 700, at: 5_000),
    bid("w0-last", auction: 1003, price: 300, at: 9_999),
    // At window 0's end: rows of window 0 if their price is 700.
    bid("end0-max", auction: 1004, price: 700, at: 10_000),
    bid("end0-tie", auction: 1002, price: 700, at: 10_000),
    bid("end0-lower", auction: 1005, price: 650, at: 10_000),
    bid("end0-higher", auction: 1006, price: 800, at: 10_000),  // does not raise window 0's max
    bid("w1-max", auction: 1007, price: 900, at: 12_000),
    bid("w1-tie", auction: 1008, price: 900, at: 15_000),
    // Window 1's maximum and, alone, window 2's: a row of both.
    bid("end1-both", auction: 1009, price: 900, at: 20_000),
    bid("w2", auction: 1010, price: 400, at: 25_000),
    // Above window 2's maximum, which it does not raise; window 3's maximum.
    bid("end2-w3-max", auction: 1011, price: 1_000, at: 30_000),
  ]

  /// The rows by the SQL, by name (`end1-both` twice).
  static let expectedNames = [
    "w0-max", "end0-max", "end0-tie", "w1-max", "w1-tie", "end1-both", "end1-both",
    "end2-w3-max",
  ]

  /// The q7 row of the bid named `name`.
  static func row(_ name: String) -> Q7Result {
    let b = bids.first { $0.extra == name }!
    return Q7Result(
      auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra)
  }

  /// ``expectedNames`` as q7's JSON lines, sorted.
  static var expectedRows: [String] {
    expectedNames.map { NexmarkResult.q7(row($0)).jsonLine }.sorted()
  }

  static let cases: [(Int, StateBackendConfiguration.Kind)] = [
    (1, .heap), (3, .heap), (3, .rocksdb),
  ]

  @Test(arguments: cases)
  func bidsAtAWindowsEndAreRowsOfTheWindowBefore(
    parallelism: Int, backend: StateBackendConfiguration.Kind
  ) async throws {
    let (env, directory) = nexmarkTestEnvironment(
      "nexmark-q7-end", parallelism: parallelism, backend: backend)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Each source subtask emits its bids in time order; the watermark lags by
    // 4 s as the Nexmark source's does.
    let events = env.fromCollection(Self.bids.map { NexmarkEvent.bid($0) })
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.seconds(4)) { $0.dateTime })
    let rows = NexmarkQuery.q7.results(of: events).map { $0.jsonLine }.collect()
    _ = try await env.execute()
    #expect(rows.values.sorted() == Self.expectedRows)
  }

  @Test func thePlainReferenceFollowsTheSQL() {
    let rows = PlainReference.rows(.q7, Self.bids.map { NexmarkEvent.bid($0) })
    #expect(rows.sorted() == Self.expectedRows)
  }

  /// The accumulator itself, fed in an order the pipeline may see at
  /// parallelism > 1: boundary bids are kept while their price is at least
  /// the highest seen, do not raise it, are rows only with the final maximum,
  /// and survive encoding (checkpoints); a window without bids of its own has
  /// no rows.
  @Test func theAccumulatorKeepsBoundaryBidsWithoutCountingThem() throws {
    let highest = HighestBids()
    var top = highest.createAccumulator()
    let inOrder = [
      ("end0-lower", true), ("end0-max", true), ("w0", false), ("end0-higher", true),
      ("w0-max", false), ("end0-tie", true),
    ]
    for (name, isBoundary) in inOrder {
      top = highest.add(Q7Bid(row: Self.row(name), isBoundary: isBoundary), to: top)
    }
    #expect(top.price == 700)
    #expect(top.bids.map(\.extra) == ["w0-max"])
    // 650 went when the maximum reached 700; 800 stays (it might have been the maximum).
    #expect(top.boundary.map(\.extra) == ["end0-max", "end0-higher", "end0-tie"])
    #expect(top.rows.map(\.extra).sorted() == ["end0-max", "end0-tie", "w0-max"])

    let decoded = try TopBids.decode(top.encodedBytes())
    #expect(decoded.price == top.price)
    #expect(decoded.bids == top.bids)
    #expect(decoded.boundary == top.boundary)

    // Another bucket of the same window: a lower maximum, a boundary bid below 700.
    var other = highest.createAccumulator()
    other = highest.add(Q7Bid(row: Self.row("w0"), isBoundary: false), to: other)
    other = highest.add(Q7Bid(row: Self.row("end0-lower"), isBoundary: true), to: other)
    let merged = MergeHighestBids().merge(other, top)
    #expect(merged.price == 700)
    #expect(merged.rows.map(\.extra).sorted() == ["end0-max", "end0-tie", "w0-max"])
    #expect(merged.boundary.map(\.extra) == ["end0-max", "end0-higher", "end0-tie"])

    let onlyBoundary = highest.add(
      Q7Bid(row: Self.row("end0-max"), isBoundary: true), to: highest.createAccumulator())
    #expect(onlyBoundary.rows.isEmpty)
  }
}
