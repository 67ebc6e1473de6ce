import ArgumentParser
import Tributary
import TributaryCLI

/// An order of the generated shop: id `i`, placed at `2·i` ms (event time).
struct Order: Codable, BinaryCodable {
  var id: Int64
  var timeMs: Int64

  static func make(_ i: Int) -> Order { Order(id: Int64(i), timeMs: Int64(i) * 2) }
}

/// A payment for order `i` (every order but each third is paid), `(7·i) mod 30`
/// ms after the order: some come later than the timeout.
struct Payment: Codable, BinaryCodable {
  var orderID: Int64
  var timeMs: Int64

  static func make(_ i: Int) -> Payment? {
    guard i % 3 != 0 else { return nil }
    return Payment(orderID: Int64(i), timeMs: Int64(i) * 2 + Int64((i * 7) % 30))
  }
}

/// Matches orders with payments by id in event time: a payment counts when
/// it is at most `timeoutMs` after its order. Matched orders go to the main
/// output; an order still unpaid when its event-time timer (order time +
/// timeout) fires goes to the side output `unmatched`. Deterministic however
/// the two inputs interleave.
struct OrderPaymentJoin: KeyedCoProcessFunction {
  static let unmatched = OutputTag<String>("unmatched")
  let timeoutMs: Int64
  var order: ValueState<Order>!
  var payment: ValueState<Payment>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    order = try context.state(ValueStateDescriptor<Order>("order"))
    payment = try context.state(ValueStateDescriptor<Payment>("payment"))
  }

  func processElement1(_ value: Order, context: KeyedContext<Int64>, out: inout Collector<String>)
    throws
  {
    if let paid = try payment.value(), paid.timeMs <= value.timeMs + timeoutMs {
      try payment.clear()
      out.emit("\(value.id),\(paid.timeMs - value.timeMs)")
      return
    }
    try order.update(value)
    try context.registerEventTimeTimer(value.timeMs + timeoutMs)
  }

  func processElement2(
    _ value: Payment, context: KeyedContext<Int64>, out: inout Collector<String>
  ) throws {
    guard let waiting = try order.value() else {
      try payment.update(value)  // the payment came first
      return
    }
    guard value.timeMs <= waiting.timeMs + timeoutMs else { return }  // too late
    try order.clear()
    try context.deleteEventTimeTimer(waiting.timeMs + timeoutMs)
    out.emit("\(value.orderID),\(value.timeMs - waiting.timeMs)")
  }

  func onTimer(
    _ timestamp: Int64, domain: TimeDomain, context: KeyedContext<Int64>,
    out: inout Collector<String>
  ) throws {
    if let waiting = try order.value() {
      try order.clear()
      out.emit("\(waiting.id)", to: Self.unmatched)
    }
    try payment.clear()
  }
}

/// `order-payments`: generated orders and payments, joined by a keyed
/// co-process function into two exactly-once file sinks: `OUTPUT/matched`
/// (`order_id,payment_delay_ms`) and `OUTPUT/unmatched` (`order_id`, a side
/// output). Killed at any moment and restarted with the same arguments, the
/// committed output equals that of one undisturbed run.
@main
struct OrderPaymentsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "order-payments",
    abstract: "Join generated orders with their payments (two inputs, timers, a side output).")

  @Option(help: "Number of orders (and payment candidates).")
  var orders: Int = 100_000

  @Option(help: "Orders (and payments) per second per input (omit for as fast as possible).")
  var rate: Double?

  @Option(help: "Event-time milliseconds an order waits for its payment.")
  var timeoutMs: Int64 = 25

  @Option(help: "Directory for the committed output (matched/ and unmatched/).")
  var output: String = "order-payments-output"

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    if orders < 0 { throw ValidationError("--orders must not be negative") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    if timeoutMs < 0 { throw ValidationError("--timeout-ms must not be negative") }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    let orders = env.generate(count: orders, ratePerSecond: rate, name: "Orders") {
      Order.make($0)
    }
    .assignTimestampsAndWatermarks(.monotonic { $0.timeMs })
    let payments = env.generate(count: self.orders, ratePerSecond: rate, name: "Payments") {
      Payment.make($0)
    }
    .compactMap { $0 }
    .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(30)) { $0.timeMs })
    let joined = orders.keyBy { $0.id }
      .connect(payments.keyBy { $0.orderID })
      .process(name: "Join", OrderPaymentJoin(timeoutMs: timeoutMs))
    joined.writeTransactional(directory: output + "/matched", name: "Matched") { $0 }
    joined.sideOutput(OrderPaymentJoin.unmatched)
      .writeTransactional(directory: output + "/unmatched", name: "Unmatched") { $0 }
    let finished = try await pipeline.run(env)
    print(finished ? "done: output in \(output)" : "stopped by signal")
  }
}
