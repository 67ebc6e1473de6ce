import Foundation
import Testing

@testable import Tributary

/// Window join and coGroup with the window options: allowed lateness (a late
/// record within it makes the window fire again with all its records) and a
/// replaced trigger. The left input is paced so its last record arrives well
/// after the right input ended and the watermark passed the first window.
/// (Each test polls for its outputs, then cancels the still-open job.)
@Suite struct WindowJoinLatenessTests {
  typealias Event = IntervalJoinTests.Event

  static let a = Event(id: 1, key: 7, timeMs: 100)
  static let b = Event(id: 2, key: 7, timeMs: 5_000)
  static let c = Event(id: 3, key: 7, timeMs: 500)  // late for [0, 1 s) once b passed
  static let x = Event(id: 11, key: 7, timeMs: 200)
  static let y = Event(id: 12, key: 7, timeMs: 5_100)

  /// Left: a at once, b 300 ms and c 600 ms later (then open, silent); right: x and y, then ended.
  static func inputs(_ env: StreamEnvironment) -> (DataStream<Event>, DataStream<Event>) {
    let strategy = WatermarkStrategy<Event>.monotonic { $0.timeMs }.withInterval(.zero)
    let left = env.pacedSource(name: "Left", intervalMillis: 300) { _, i in
      [Self.a, Self.b, Self.c][safe: i]
    }.assignTimestampsAndWatermarks(strategy)
    let right = env.fromCollection([Self.x, Self.y]).assignTimestampsAndWatermarks(strategy)
    return (left, right)
  }

  @Test func aLateRecordWithinTheAllowedLatenessFiresTheWindowAgain() async throws {
    var config = JobConfiguration()
    config.parallelism = 1
    config.batchSize = 1
    let env = StreamEnvironment(configuration: config)
    let (left, right) = Self.inputs(env)
    let pairs = left.join(right).where { $0.key }.equalTo { $0.key }
      .window(.tumbling(.seconds(1)))
      .allowedLateness(.seconds(10))
      .apply { l, r in "\(l.id),\(r.id)" }
      .collect()
    let groups = left.coGroup(right).where { $0.key }.equalTo { $0.key }
      .window(.tumbling(.seconds(1)))
      .allowedLateness(.seconds(10))
      .apply { (key, window, ls, rs, out: inout Collector<String>) in
        out.emit("\(window.start) \(ls.map(\.id)) \(rs.map(\.id))")
      }
      .collect()
    let job = Task { try await env.execute() }
    let fired = try await eventually(20) { pairs.values.count >= 3 && groups.values.count >= 2 }
    await cancelJob(job)
    #expect(fired)
    // First firing at the watermark 4,999 with a and x; again when c arrives, with all three.
    expectSameElements(pairs.values, ["1,11", "1,11", "3,11"])
    expectSameElements(groups.values, ["0 [1] [11]", "0 [1, 3] [11]"])
  }

  @Test func aReplacedTriggerDecidesWhenTheWindowFires() async throws {
    var config = JobConfiguration()
    config.parallelism = 1
    let env = StreamEnvironment(configuration: config)
    let (left, right) = Self.inputs(env)
    // One global window per key, firing at its third record (of either side).
    let pairs = left.join(right).where { $0.key }.equalTo { $0.key }
      .window(.global)
      .trigger(CountTrigger(3))
      .apply { l, r in "\(l.id),\(r.id)" }
      .collect()
    let job = Task { try await env.execute() }
    let fired = try await eventually(20) { pairs.values.count >= 2 }
    await cancelJob(job)
    #expect(fired)
    // The first three records of key 7 are x, y and a, whatever their interleaving (b comes
    // 300 ms later); b and c do not make a third record again.
    expectSameElements(pairs.values, ["1,11", "1,12"])
  }
}

extension Array {
  fileprivate subscript(safe index: Int) -> Element? {
    indices.contains(index) ? self[index] : nil
  }
}
