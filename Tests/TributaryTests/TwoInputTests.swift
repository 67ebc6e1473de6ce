import Foundation
import Testing

@testable import Tributary

/// Two-input operators: `connect` with `CoProcessFunction`, `map`/`flatMap`,
/// and keyed `connect` with `KeyedCoProcessFunction` (shared keyed state,
/// timers, event time as the minimum of both inputs), on both backends.
@Suite struct TwoInputTests {
  struct Order: Codable, BinaryCodable, Equatable {
    var id: Int64
    var timeMs: Int64
  }

  struct Payment: Codable, BinaryCodable, Equatable {
    var orderID: Int64
    var timeMs: Int64
  }

  /// How long an order waits for its payment, in event time.
  static let timeoutMs: Int64 = 25

  static func order(_ i: Int) -> Order { Order(id: Int64(i), timeMs: Int64(i) * 2) }
  static func isPaid(_ i: Int) -> Bool { i % 3 != 0 }
  /// Payment delays go up to 29 ms: some are later than the timeout.
  static func payment(_ i: Int) -> Payment {
    Payment(orderID: Int64(i), timeMs: Int64(i) * 2 + Int64((i * 7) % 30))
  }

  /// Independent expectation: `M,id` for orders paid within the timeout (in
  /// event time), `U,id` for the others.
  static func expectedJoin(orders: Int) -> [String] {
    (0..<orders).map { i in
      let matched = isPaid(i) && payment(i).timeMs <= order(i).timeMs + timeoutMs
      return "\(matched ? "M" : "U"),\(i)"
    }
  }

  /// Matches orders with payments by id; an order without a payment within
  /// the timeout is emitted as unmatched when its event-time timer fires.
  struct OrderPaymentJoin: KeyedCoProcessFunction {
    var order: ValueState<Order>?
    var payment: ValueState<Payment>?

    mutating func open(_ context: KeyedContext<Int64>) throws {
      order = try context.state(ValueStateDescriptor<Order>("order"))
      payment = try context.state(ValueStateDescriptor<Payment>("payment"))
    }

    func processElement1(
      _ value: Order, context: KeyedContext<Int64>, out: inout Collector<String>
    ) throws {
      if let paid = try payment!.value(), paid.timeMs <= value.timeMs + TwoInputTests.timeoutMs {
        try payment!.clear()
        out.emit("M,\(value.id)")
        return
      }
      try order!.update(value)
      try context.registerEventTimeTimer(value.timeMs + TwoInputTests.timeoutMs)
    }

    func processElement2(
      _ value: Payment, context: KeyedContext<Int64>, out: inout Collector<String>
    ) throws {
      if let waiting = try order!.value() {
        guard value.timeMs <= waiting.timeMs + TwoInputTests.timeoutMs else { return }  // late
        try order!.clear()
        try context.deleteEventTimeTimer(waiting.timeMs + TwoInputTests.timeoutMs)
        out.emit("M,\(value.orderID)")
      } else {
        try payment!.update(value)  // the payment came first
      }
    }

    func onTimer(
      _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
      out: inout Collector<String>
    ) throws {
      if let waiting = try order!.value() {
        try order!.clear()
        out.emit("U,\(waiting.id)")
      }
      try payment!.clear()
    }
  }

  static func backend(_ kind: StateBackendConfiguration.Kind, _ root: URL)
    -> StateBackendConfiguration
  {
    StateBackendConfiguration(
      kind: kind, directory: root.appendingPathComponent("state").path, cacheBytes: 8_192)
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2, 4])
  func keyedCoProcessJoinsOrdersWithPaymentsAndTimesOutTheRest(
    backend: StateBackendConfiguration.Kind, parallelism: Int
  ) async throws {
    let root = try temporaryDirectory("tributary-join")
    defer { try? FileManager.default.removeItem(at: root) }
    let count = 3_000
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 64
    config.stateBackend = Self.backend(backend, root)
    let env = StreamEnvironment(configuration: config)
    let orders = env.generate(count: count, name: "Orders") { Self.order($0) }
      .assignTimestampsAndWatermarks(.monotonic { $0.timeMs })
    let payments = env.generate(count: count, name: "Payments") { i in
      Self.isPaid(i) ? Self.payment(i) : nil
    }
    .compactMap { $0 }
    .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(30)) { $0.timeMs })
    let results = orders.keyBy { $0.id }
      .connect(payments.keyBy { $0.orderID })
      .process(name: "Join", OrderPaymentJoin())
      .collect()
    _ = try await withTimeout(120) { try await env.execute() }
    let expected = Self.expectedJoin(orders: count)
    #expect(expected.contains { $0.hasPrefix("U,") } && expected.contains { $0.hasPrefix("M,") })
    expectSameElements(results.values, expected)
  }

  struct Reading: Codable, BinaryCodable {
    var key: Int64
    var timeMs: Int64
    var value: Int64
  }

  struct Switch: Codable, BinaryCodable {
    var key: Int64
    var timeMs: Int64
    var enabled: Bool
  }

  static let keys = 5
  static func reading(_ i: Int) -> Reading {
    Reading(key: Int64(i % keys), timeMs: Int64(i), value: Int64(i))
  }
  /// Switch j of key k at 100·j + 7·k ms: on for even j, off for odd j.
  static func control(_ i: Int) -> Switch {
    let (j, k) = (i / keys, i % keys)
    return Switch(key: Int64(k), timeMs: Int64(100 * j + 7 * k), enabled: j % 2 == 0)
  }

  /// A per-key filter switched on and off by a control stream, decided in
  /// event time: a reading passes when the key's latest switch at or before
  /// its timestamp is on (deterministic however the two inputs interleave).
  struct SwitchedFilter: KeyedCoProcessFunction {
    var pending: MapState<Int64, [Int64]>?
    var switches: MapState<Int64, Bool>?

    mutating func open(_ context: KeyedContext<Int64>) throws {
      pending = try context.state(MapStateDescriptor<Int64, [Int64]>("pending"))
      switches = try context.state(MapStateDescriptor<Int64, Bool>("switches"))
    }

    func processElement1(
      _ value: Reading, context: KeyedContext<Int64>, out: inout Collector<Int64>
    ) throws {
      try pending!.put(value.timeMs, (try pending!.get(value.timeMs) ?? []) + [value.value])
      try context.registerEventTimeTimer(value.timeMs)
    }

    func processElement2(
      _ value: Switch, context: KeyedContext<Int64>, out: inout Collector<Int64>
    ) throws {
      try switches!.put(value.timeMs, value.enabled)
    }

    func onTimer(
      _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
      out: inout Collector<Int64>
    ) throws {
      let latest = try switches!.entries().filter { $0.key <= timestamp }.max { $0.key < $1.key }
      if latest?.value == true {
        for value in try pending!.get(timestamp) ?? [] { out.emit(value) }
      }
      try pending!.remove(timestamp)
    }
  }

  @Test(arguments: [StateBackendConfiguration.Kind.heap, .rocksdb], [1, 2, 4])
  func controlStreamSwitchesAPerKeyFilterOnAndOff(
    backend: StateBackendConfiguration.Kind, parallelism: Int
  ) async throws {
    let root = try temporaryDirectory("tributary-switch")
    defer { try? FileManager.default.removeItem(at: root) }
    let readings = 2_000
    let switches = 20 * Self.keys
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 32
    config.stateBackend = Self.backend(backend, root)
    let env = StreamEnvironment(configuration: config)
    let data = env.generate(count: readings, name: "Readings") { Self.reading($0) }
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(10)) { $0.timeMs })
    let control = env.generate(count: switches, name: "Switches") { Self.control($0) }
      .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(40)) { $0.timeMs })
      .parallelism(1)
    let passed = data.keyBy { $0.key }
      .connect(control.keyBy { $0.key })
      .process(name: "SwitchedFilter", SwitchedFilter())
      .collect()
    _ = try await withTimeout(120) { try await env.execute() }
    // Independently: the latest switch of the reading's key at or before it.
    let expected = (0..<readings).filter { i in
      let r = Self.reading(i)
      let latest = (0..<switches).map(Self.control).filter {
        $0.key == r.key && $0.timeMs <= r.timeMs
      }
      .max { $0.timeMs < $1.timeMs }
      return latest?.enabled == true
    }.map(Int64.init)
    #expect(!expected.isEmpty && expected.count < readings)
    expectSameElements(passed.values, expected)
  }

  @Test func connectedMapAndFlatMapMergeBothInputsIntoOneType() async throws {
    let env = StreamEnvironment(parallelism: 2)
    let numbers = env.generate(count: 100, name: "Numbers") { $0 }
    let words = env.fromCollection(["a b", "c", "d e f"])
    let mapped = numbers.connect(words).map({ "n\($0)" }, { "w\($0)" }).collect()
    let flat = numbers.connect(words)
      .flatMap({ $0 % 10 == 0 ? ["\($0)"] : [] }, { $0.split(separator: " ").map(String.init) })
      .collect()
    let processed = numbers.connect(words)
      .process(
        { (n: Int, out: inout Collector<Int>) in out.emit(n) }, { w, out in out.emit(-w.count) }
      )
      .collect()
    try await env.execute()
    expectSameElements(mapped.values, (0..<100).map { "n\($0)" } + ["wa b", "wc", "wd e f"])
    expectSameElements(
      flat.values,
      stride(from: 0, to: 100, by: 10).map { "\($0)" } + ["a", "b", "c", "d", "e", "f"])
    expectSameElements(processed.values, Array(0..<100) + [-3, -1, -5])
  }

  /// Records which watermark the operator saw when each control record arrived.
  struct WatermarkProbe: CoProcessFunction {
    func processElement1(_ value: Int, context: CoProcessContext, out: inout Collector<String>) {
    }
    func processElement2(_ value: Int, context: CoProcessContext, out: inout Collector<String>) {
      out.emit("\(value)@\(context.currentWatermark)")
    }
  }

  @Test func theOperatorsWatermarkIsTheMinimumOfBothInputs() async throws {
    // Input 1 runs far ahead in event time; input 2 is slow. Each record of
    // input 2 is at time 10·i, so the operator's watermark when it arrives can
    // never exceed input 2's own watermark (10·(i-1) at most).
    let env = StreamEnvironment(parallelism: 1)
    // The fast input stays open longer than the slow one (0.3 s against 0.1 s).
    let fast = env.generate(count: 3_000, ratePerSecond: 10_000, name: "Fast") { $0 }
      .assignTimestampsAndWatermarks(.monotonic { Int64($0) * 1_000 })
    let slow = env.generate(count: 50, ratePerSecond: 500, name: "Slow") { $0 }
      .assignTimestampsAndWatermarks(.monotonic { Int64($0) * 10 }.withInterval(.milliseconds(1)))
    let seen = fast.connect(slow).process(name: "Probe", WatermarkProbe()).collect()
    try await env.execute()
    #expect(seen.values.count == 50)
    for line in seen.values {
      let parts = line.split(separator: "@").map { Int64($0)! }
      #expect(parts[1] < parts[0] * 10, "\(line): the slow input holds the watermark back")
    }
  }
}
