import ArgumentParser
import Foundation
import Histogram
import Tributary
import TributaryNATS

/// `tributary-bench exchange`: W2 run as K instances (processes) of one job
/// on this machine, exchanging records through NATS JetStream
/// (docs/scale-out.md). Spawns K `exchange-instance` children of this
/// executable, waits for them and aggregates their JSON reports.
struct ExchangeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exchange",
    abstract:
      "Run W2 as K instances of one job through the JetStream exchange (K = 1: one "
      + "process, no exchange) and report events/s, the exchange's records/s and bytes/s, "
      + "and the event-to-output latency.")

  @Option(help: "The NATS JetStream server of the exchange, e.g. nats://127.0.0.1:4222.")
  var natsUrl: String?

  @Option(help: "Number of canonical events (dealt across the instances' generators).")
  var events: Int = 1_000_000

  @Option(help: "Number of instances (processes); 1 runs without the exchange.")
  var instances: Int = 2

  @Option(help: "Parallelism of every operator within each instance.")
  var parallelism: Int = 1

  @Option(
    help: "Checkpoint interval of each instance (records cross after the producer's checkpoint).")
  var checkpointInterval: String = "1s"

  /// Key groups of the job: also the exchange's subjects.
  @Option(help: "Key groups (maximum parallelism); the exchange has one subject per key group.")
  var maxParallelism: Int = KeyGroups.defaultMaxParallelism

  /// Events per second across all instances (0: unthrottled); at a rate the
  /// exchange sustains, the latency is the added latency rather than the backlog.
  @Option(help: "Events per second across all instances (0: as fast as possible).")
  var rate: Double = 0

  @Option(help: "Seconds to wait for the instances before killing them.")
  var timeout: Int = 600

  @Flag(help: "Print one JSON object on one line.")
  var json = false

  func validate() throws {
    guard events > 0 else { throw ValidationError("--events must be positive") }
    guard (1...16).contains(instances) else {
      throw ValidationError("--instances must be in 1...16")
    }
    guard (1...64).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...64")
    }
    guard Interval(parsing: checkpointInterval)?.millisecondsValue != nil else {
      throw ValidationError("--checkpoint-interval must look like 100ms or 1s")
    }
    if instances > 1 && natsUrl == nil {
      throw ValidationError("--instances above 1 needs --nats-url")
    }
    guard (instances...32_768).contains(maxParallelism) else {
      throw ValidationError("--max-parallelism must be in \(instances)...32768")
    }
    guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
    guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
  }

  func run() async throws {
    let jobName = "xbench-\(UUID().uuidString.prefix(8).lowercased())"
    let workDir = NSTemporaryDirectory() + "tributary-\(jobName)"
    try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: workDir) }

    let children = try (0..<instances).map { instance in
      try ExchangeChild.start(
        arguments: [
          "exchange-instance", "--events", "\(events)", "--instances", "\(instances)",
          "--instance", "\(instance)", "--job-name", jobName,
          "--checkpoint-dir", workDir + "/checkpoints", "--checkpoint-interval",
          checkpointInterval, "--parallelism", "\(parallelism)", "--rate", "\(rate)",
          "--max-parallelism", "\(maxParallelism)",
        ] + (natsUrl.map { ["--nats-url", $0] } ?? []),
        output: workDir + "/instance-\(instance).json")
    }
    let deadline = ContinuousClock.now + .seconds(timeout)
    while children.contains(where: \.process.isRunning) && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    for child in children where child.process.isRunning {
      kill(child.process.processIdentifier, SIGKILL)
    }
    var reports: [InstanceReport] = []
    for (instance, child) in children.enumerated() {
      child.process.waitUntilExit()
      guard child.process.terminationReason == .exit, child.process.terminationStatus == 0 else {
        throw ExchangeBenchError.instanceFailed(
          instance: instance, status: child.process.terminationStatus)
      }
      reports.append(
        try InstanceReport(parsing: try String(contentsOfFile: child.outputPath, encoding: .utf8)))
    }

    var stream: JetStreamStreamInfo?
    if let natsUrl, instances > 1 {
      let connection = try NATSConnection(url: natsUrl)
      defer { connection.close() }
      let jetStream = try JetStream(connection)
      let name = "\(jobName)-x0"
      stream = try jetStream.streamInfo(name: name)
      try jetStream.deleteStream(name: name)
    }
    print(
      json
        ? jsonLine(summary(reports, stream: stream))
        : summary(reports, stream: stream).map { "\($0.0): \($0.1.text)" }.joined(separator: "\n"))
  }

  /// The aggregated figures of one run.
  func summary(_ reports: [InstanceReport], stream: JetStreamStreamInfo?) -> [(String, JSONValue)] {
    let start = reports.map(\.startNanos).min() ?? 0
    let end = reports.map(\.endNanos).max() ?? 0
    let seconds = Double(end &- start) / 1e9
    let records = reports.reduce(0) { $0 + $1.records }
    let count = reports.reduce(Int64(0)) { $0 &+ $1.count }
    let sum = reports.reduce(Int64(0)) { $0 &+ $1.sum }
    let expected = W2Expectation(events: events)
    let latencies = ExchangeLatency.histogram(reports)
    var fields: [(String, JSONValue)] = [
      ("workload", .string("exchange-w2")),
      ("events", .int(events)),
      ("instances", .int(instances)),
      ("parallelism", .int(parallelism)),
      ("checkpoint_interval", .string(checkpointInterval)),
      ("rate", .double(rate)),
      ("max_parallelism", .int(maxParallelism)),
      ("seconds", .double(seconds)),
      ("events_per_second", .double(Double(events) / seconds)),
      ("output_records", .int(records)),
      ("output_count", .int64(count)),
      ("output_sum", .int64(sum)),
      ("expected_output_records", .int(expected.records)),
      ("expected_output_sum", .int64(expected.sum)),
      ("latency_windows", .int(latencies.windows)),
      ("latency_ms_p50", .double(Double(latencies.histogram.valueAtPercentile(50)) / 1_000)),
      ("latency_ms_p99", .double(Double(latencies.histogram.valueAtPercentile(99)) / 1_000)),
      ("latency_ms_max", .double(Double(latencies.histogram.max) / 1_000)),
      (
        "instance_seconds",
        .array(reports.map { .double(Double($0.endNanos &- $0.startNanos) / 1e9) })
      ),
      ("checkpoints_completed", .array(reports.map { .int($0.checkpointsCompleted) })),
    ]
    if let stream {
      fields += [
        ("exchange_records", .int64(count)),
        ("exchange_messages", .int(Int(stream.messages))),
        ("exchange_bytes", .int(Int(stream.bytes))),
        ("exchange_records_per_second", .double(Double(count) / seconds)),
        ("exchange_messages_per_second", .double(Double(stream.messages) / seconds)),
        ("exchange_bytes_per_second", .double(Double(stream.bytes) / seconds)),
        ("exchange_bytes_per_record", .double(Double(stream.bytes) / Double(max(count, 1)))),
      ]
    }
    var mismatches: [String] = []
    if count != Int64(events) { mismatches.append("counted \(count) of \(events) events") }
    if records != expected.records {
      mismatches.append("\(records) window results, expected \(expected.records)")
    }
    if sum != expected.sum { mismatches.append("sum \(sum), expected \(expected.sum)") }
    if !mismatches.isEmpty {
      fields.append(("mismatch", .string(mismatches.joined(separator: "; "))))
    }
    return fields
  }
}

/// A failed benchmark instance.
enum ExchangeBenchError: Error, CustomStringConvertible {
  case instanceFailed(instance: Int, status: Int32)
  case malformedReport(String)

  var description: String {
    switch self {
    case .instanceFailed(let instance, let status):
      return "instance \(instance) did not finish (status \(status)); its log is on standard error"
    case .malformedReport(let text): return "malformed instance report: \(text.prefix(200))"
    }
  }
}

/// One spawned `exchange-instance` process, its standard output in a file.
struct ExchangeChild {
  let process: Process
  let outputPath: String

  static func start(arguments: [String], output: String) throws -> ExchangeChild {
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: BenchProcess.executablePath)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    try process.run()
    return ExchangeChild(process: process, outputPath: output)
  }
}

/// W2's results for events `0..<events`, computed directly: one result per
/// key seen in each 1 s window, and the sum of every value.
struct W2Expectation {
  var records = 0
  var sum: Int64 = 0

  init(events: Int) {
    // Window w holds the events [w·1,000,000, (w+1)·1,000,000): timestamps i / 1000 ms.
    var first = 0
    while first < events {
      let inWindow = min(events, first + 1_000_000) - first
      records += min(inWindow, 10_000)
      first += 1_000_000
    }
    let cycles = Int64(events / 100)
    let rest = Int64(events % 100)
    sum = cycles * 4_950 + rest * (rest - 1) / 2
  }
}

/// What one instance reports: its run's moments (monotonic clock, shared by
/// the processes of one machine), its window results, when its sources'
/// watermark passed each window end and when its sink wrote each window's results.
struct InstanceReport {
  var startNanos: UInt64
  var endNanos: UInt64
  var records: Int
  var count: Int64
  var sum: Int64
  var checkpointsCompleted: Int
  /// Window end → the moment every source subtask of this instance passed it.
  var passes: [Int64: UInt64]
  /// (window end, moment written, results written then).
  var outputs: [(windowEnd: Int64, nanos: UInt64, results: Int)]

  init(parsing text: String) throws {
    guard
      let line = text.split(separator: "\n").last,
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let start = (object["start_nanos"] as? NSNumber)?.uint64Value,
      let end = (object["end_nanos"] as? NSNumber)?.uint64Value,
      let records = (object["output_records"] as? NSNumber)?.intValue,
      let count = (object["output_count"] as? NSNumber)?.int64Value,
      let sum = (object["output_sum"] as? NSNumber)?.int64Value,
      let checkpoints = (object["checkpoints_completed"] as? NSNumber)?.intValue,
      let passes = object["passes"] as? [[NSNumber]],
      let outputs = object["outputs"] as? [[NSNumber]]
    else { throw ExchangeBenchError.malformedReport(text) }
    startNanos = start
    endNanos = end
    self.records = records
    self.count = count
    self.sum = sum
    checkpointsCompleted = checkpoints
    self.passes = Dictionary(
      passes.filter { $0.count == 2 }.map { ($0[0].int64Value, $0[1].uint64Value) },
      uniquingKeysWith: max)
    self.outputs = outputs.filter { $0.count == 3 }.map {
      ($0[0].int64Value, $0[1].uint64Value, $0[2].intValue)
    }
  }
}

/// Event-to-output latency across instances, as W2 measures it: from the
/// moment the watermark of every source subtask (of every instance) passed a
/// window's end to the moment a sink wrote the window's result.
enum ExchangeLatency {
  static func histogram(_ reports: [InstanceReport]) -> (
    histogram: Histogram<UInt64>, windows: Int
  ) {
    var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000)
    var passed: [Int64: UInt64] = [:]
    for windowEnd in Set(reports.flatMap(\.passes.keys))
    where reports.allSatisfy({ $0.passes[windowEnd] != nil }) {
      passed[windowEnd] = reports.compactMap { $0.passes[windowEnd] }.max()
    }
    for report in reports {
      for output in report.outputs {
        guard let passedAt = passed[output.windowEnd], output.nanos >= passedAt else { continue }
        _ = histogram.record((output.nanos - passedAt) / 1_000, count: UInt64(output.results))
      }
    }
    return (histogram, passed.count)
  }
}
