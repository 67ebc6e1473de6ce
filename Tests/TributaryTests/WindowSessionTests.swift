import Foundation
import Testing

@testable import Tributary

@Suite struct WindowSessionTests {
  static let backends: [StateConfig] = [.heap, .rocksTinyCache]

  @Test func touchingSessionWindowsIntersect() {
    // Flink semantics: [0,10) and [10,20) touch at 10 and merge; a 1 ms gap splits.
    let a = TimeWindow(start: 0, end: 10)
    #expect(a.intersects(TimeWindow(start: 10, end: 20)))
    #expect(TimeWindow(start: 10, end: 20).intersects(a))
    #expect(!a.intersects(TimeWindow(start: 11, end: 21)))
    #expect(!TimeWindow(start: 11, end: 21).intersects(a))
    #expect(a.cover(TimeWindow(start: 10, end: 20)) == TimeWindow(start: 0, end: 20))
  }

  /// Records exactly `gap` apart share a session; `gap + 1` apart split.
  @Test(arguments: backends)
  func recordsExactlyGapApartShareASession(config: StateConfig) async throws {
    let ts: [Int64] = [0, 10, 21, 31, 43]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .session(gap: .milliseconds(10)), lateness: .zero, config: config)
    expectSameElements(
      results,
      [window(0, 20, ids: [0, 1]), window(21, 41, ids: [2, 3]), window(43, 53, ids: [4])])
    #expect(late.isEmpty)
  }

  /// Out-of-order records (within the bound) fill in a session from both
  /// sides and merge sessions before they fire.
  @Test(arguments: backends)
  func outOfOrderRecordsMergeSessionsBeforeFiring(config: StateConfig) async throws {
    // bound 100: watermark 99 after ts 200 fires the first two sessions, complete by then.
    let ts: [Int64] = [50, 30, 80, 65, 5, 200, 170, 180]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .session(gap: .milliseconds(20)), lateness: .zero, bound: 100, config: config)
    // 5 | 30 50 65 80 | 170 180 200
    expectSameElements(
      results,
      [
        window(5, 25, ids: [4]), window(30, 100, ids: [0, 1, 2, 3]),
        window(170, 220, ids: [5, 6, 7]),
      ])
    #expect(late.isEmpty)
  }

  /// A record within the allowed lateness that bridges two sessions which
  /// already fired merges them into one session, which fires again; the
  /// merged-away sessions never fire again. Beyond the lateness, a record
  /// reaches only the side output.
  @Test(arguments: backends)
  func lateRecordBridgingTwoFiredSessionsMergesAndRefires(config: StateConfig) async throws {
    // gap 10, lateness 100. Watermarks after each record: -1, 17, 39, 39, 199, 199.
    let ts: [Int64] = [0, 18, 40, 9, 200, 5]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .session(gap: .milliseconds(10)), lateness: .milliseconds(100),
      config: config)
    let expected = [
      window(0, 10, ids: [0]),  // watermark 17
      window(18, 28, ids: [1]),  // watermark 39
      window(0, 28, ids: [0, 1, 3]),  // ts 9: [9,19) touches both; merged window is due, fires now
      window(40, 50, ids: [2]),  // watermark 199
      window(200, 210, ids: [4]),  // end of input
    ]
    #expect(results == expected, "\(results)")
    // ts 5 at watermark 199: [5,15) + 100 is past; the merged session was cleaned at 127.
    #expect(late.map(\.id) == [5])
  }

  /// A late record inside an existing, fired session (no extension) re-fires
  /// it with the same bounds.
  @Test(arguments: backends)
  func lateRecordInsideFiredSessionRefiresSameWindow(config: StateConfig) async throws {
    let ts: [Int64] = [0, 8, 40, 3]
    let (results, late) = try await runDeterministicWindow(
      ts, assigner: .session(gap: .milliseconds(10)), lateness: .milliseconds(50),
      config: config)
    #expect(
      results == [
        window(0, 18, ids: [0, 1]), window(0, 18, ids: [0, 1, 3]), window(40, 50, ids: [2]),
      ],
      "\(results)")
    #expect(late.isEmpty)
  }

  /// Sessions are per key: records of different keys never merge.
  @Test(arguments: backends)
  func sessionsArePerKey(config: StateConfig) async throws {
    let ts: [Int64] = [0, 5, 10, 15, 100]
    let (results, _) = try await runDeterministicWindow(
      ts, assigner: .session(gap: .milliseconds(6)), lateness: .zero, bound: 50, config: config,
      keys: { $0 % 2 })
    // key 0: 0, 10, 100 → [0,6) [10,16) [100,106); key 1: 5, 15 → [5,11) [15,21)
    expectSameElements(
      results,
      [
        window(0, 6, ids: [0]), window(10, 16, ids: [2]), window(100, 106, ids: [4]),
        window(5, 11, ids: [1], key: 1), window(15, 21, ids: [3], key: 1),
      ])
  }
}
