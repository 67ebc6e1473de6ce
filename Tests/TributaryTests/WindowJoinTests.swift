import Foundation
import Testing

@testable import Tributary

/// Window join and coGroup against independent expectations computed in
/// plain Swift (windows worked out by hand, nested loops per key and window):
/// tumbling, sliding and session windows in event time on both backends at
/// parallelism 1, 2 and 4; coGroup as a full outer join; processing time.
@Suite struct WindowJoinTests {
  typealias Event = IntervalJoinTests.Event

  enum Kind: String, CaseIterable, Sendable {
    case tumbling, sliding, session

    var assigner: WindowAssigner {
      switch self {
      case .tumbling: .tumbling(.milliseconds(20))
      case .sliding: .sliding(.milliseconds(30), slide: .milliseconds(10))
      case .session: .session(gap: .milliseconds(3))
      }
    }
  }

  /// A window as `start,end`.
  struct Window: Hashable, Comparable {
    var start: Int64
    var end: Int64
    static func < (a: Window, b: Window) -> Bool { (a.start, a.end) < (b.start, b.end) }
  }

  /// Independent of the engine: the windows of every record, per key.
  static func windows(_ kind: Kind, key: Int64, lefts: [Event], rights: [Event], size: Int64 = 20)
    -> [Window: (lefts: [Event], rights: [Event])]
  {
    var groups: [Window: (lefts: [Event], rights: [Event])] = [:]
    func windowsOf(_ t: Int64, sessions: [Window]) -> [Window] {
      switch kind {
      case .tumbling:
        let start = t / size * size  // tumbling: 20 ms unless told
        return [Window(start: start, end: start + size)]
      case .sliding:
        // Every window [s, s + 30) with s a multiple of 10 that holds t.
        return stride(from: t / 10 * 10, to: t - 30, by: -10).map {
          Window(start: $0, end: $0 + 30)
        }
      case .session:
        return sessions.filter { $0.start <= t && t < $0.end }
      }
    }
    // Sessions: sorted times of both sides; a gap of more than 3 ms starts a new one.
    var sessions: [Window] = []
    for t in (lefts + rights).map(\.timeMs).sorted() {
      if let last = sessions.last, t <= last.end {  // touching sessions merge, as in Flink
        sessions[sessions.count - 1].end = max(last.end, t + 3)
      } else {
        sessions.append(Window(start: t, end: t + 3))
      }
    }
    for l in lefts {
      for w in windowsOf(l.timeMs, sessions: sessions) {
        groups[w, default: ([], [])].lefts.append(l)
      }
    }
    for r in rights {
      for w in windowsOf(r.timeMs, sessions: sessions) {
        groups[w, default: ([], [])].rights.append(r)
      }
    }
    return groups
  }

  /// The inner join (`leftID,rightID` per pair and window) and the full outer
  /// join (`key,start,end,leftID|-,rightID|-`) of `lefts` and `rights`.
  static func expected(_ kind: Kind, _ lefts: [Event], _ rights: [Event], size: Int64 = 20) -> (
    inner: [String], outer: [String]
  ) {
    var inner: [String] = []
    var outer: [String] = []
    let leftsByKey = Dictionary(grouping: lefts, by: \.key)
    let rightsByKey = Dictionary(grouping: rights, by: \.key)
    for key in Set(leftsByKey.keys).union(rightsByKey.keys) {
      let groups = windows(
        kind, key: key, lefts: leftsByKey[key] ?? [], rights: rightsByKey[key] ?? [], size: size)
      for (window, group) in groups {
        let prefix = "\(key),\(window.start),\(window.end)"
        for l in group.lefts { for r in group.rights { inner.append("\(l.id),\(r.id)") } }
        outer += fullOuter(prefix: prefix, group.lefts, group.rights)
      }
    }
    return (inner, outer)
  }

  /// The full outer join lines of one key and window.
  static func fullOuter(prefix: String, _ lefts: [Event], _ rights: [Event]) -> [String] {
    if lefts.isEmpty { return rights.map { "\(prefix),-,\($0.id)" } }
    if rights.isEmpty { return lefts.map { "\(prefix),\($0.id),-" } }
    return lefts.flatMap { l in rights.map { r in "\(prefix),\(l.id),\(r.id)" } }
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2, 4])
  func eventTimeJoinAndCoGroupMatchTheExpectations(
    backend: StateBackendConfiguration.Kind, parallelism: Int
  ) async throws {
    let root = try temporaryDirectory("tributary-window-join")
    defer { try? FileManager.default.removeItem(at: root) }
    for (index, kind) in Kind.allCases.enumerated() {
      let seed = UInt64(parallelism * 10 + index)
      let lefts = IntervalJoinTests.events(count: 800, keys: 7, firstID: 0, seed: seed)
      let rights = IntervalJoinTests.events(count: 600, keys: 9, firstID: 100_000, seed: seed + 5)
      let config = IntervalJoinTests.configuration(
        backend, parallelism: parallelism, root: root.appendingPathComponent("\(index)"))
      let env = StreamEnvironment(configuration: config)
      let strategy = WatermarkStrategy<Event>.boundedOutOfOrderness(
        .milliseconds(IntervalJoinTests.outOfOrderness)
      ) { $0.timeMs }.withInterval(.milliseconds(1))
      let left = env.generate(count: lefts.count, ratePerSecond: 40_000) { lefts[$0] }
        .assignTimestampsAndWatermarks(strategy)
      let right = env.generate(count: rights.count, ratePerSecond: 40_000) { rights[$0] }
        .assignTimestampsAndWatermarks(strategy)
      let inner = left.join(right).where { $0.key }.equalTo { $0.key }.window(kind.assigner)
        .apply { l, r in "\(l.id),\(r.id)" }
        .collect()
      let outer = left.coGroup(right).where { $0.key }.equalTo { $0.key }.window(kind.assigner)
        .apply { (key, window, ls, rs, out: inout Collector<String>) in
          for line in Self.fullOuter(prefix: "\(key),\(window.start),\(window.end)", ls, rs) {
            out.emit(line)
          }
        }
        .collect()
      _ = try await withTimeout(120) { try await env.execute() }
      let expected = Self.expected(kind, lefts, rights)
      #expect(expected.outer.contains { $0.hasSuffix(",-") }, "\(kind): some lefts have no match")
      #expect(expected.outer.contains { $0.contains(",-,") }, "\(kind): some rights have no match")
      expectSameElements(inner.values, expected.inner)
      expectSameElements(outer.values, expected.outer)
    }
  }

  @Test func processingTimeSessionJoinsEveryPairOfAKey() async throws {
    let env = StreamEnvironment(parallelism: 1)
    let count = 60
    @Sendable func event(_ i: Int, firstID: Int64) -> Event {
      Event(id: firstID + Int64(i), key: Int64(i % 3), timeMs: 0)
    }
    let left = env.pacedSource(name: "Left", intervalMillis: 1) { _, i in
      i < count ? event(i, firstID: 0) : nil
    }
    let right = env.pacedSource(name: "Right", intervalMillis: 1) { _, i in
      i < count ? event(i, firstID: 1_000) : nil
    }
    // Records of a key arrive every few ms; 400 ms after the last, its session fires.
    let pairs = left.join(right).where { $0.key }.equalTo { $0.key }
      .window(.sessionProcessingTime(gap: .milliseconds(400)))
      .apply { l, r in "\(l.id),\(r.id)" }
      .collect()
    let expected = IntervalJoinTests.nestedLoop(
      (0..<count).map { event($0, firstID: 0) }, (0..<count).map { event($0, firstID: 1_000) },
      IntervalJoinTests.Bounds(lower: 0, upper: 0))
    let job = Task { try await env.execute() }
    let fired = try await eventually(20) { pairs.values.count >= expected.count }
    await cancelJob(job)
    #expect(fired)
    expectSameElements(pairs.values, expected)
  }

  @Test func twoInputRecordsRoundTripThroughTheCodec() throws {
    typealias Tagged = TwoInputRecord<Int64, String>
    for record in [Tagged.first(42), .second("right")] {
      var writer = BinaryWriter(capacity: 16)
      record.encode(to: &writer)
      var reader = BinaryReader(writer.bytes)
      let decoded = try Tagged.decode(from: &reader)
      switch (record, decoded) {
      case (.first(let a), .first(let b)): #expect(a == b)
      case (.second(let a), .second(let b)): #expect(a == b)
      default: Issue.record("decoded \(decoded) from \(record)")
      }
    }
  }
}
