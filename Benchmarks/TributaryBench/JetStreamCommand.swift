import ArgumentParser
import Foundation
import Tributary
import TributaryNATS

/// `tributary-bench jetstream`: W2 read from a JetStream stream, against a
/// plain single-threaded nats.c loop reading the same stream.
struct JetStreamCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "jetstream",
    abstract:
      "Publish canonical events into a fresh 4-subject stream, run W2 from it (bounded), "
      + "and compare with a plain nats.c fetch loop.")

  @Option(help: "The NATS server, e.g. nats://127.0.0.1:4222.")
  var natsUrl: String

  @Option(help: "Number of canonical events.")
  var events: Int = 1_000_000

  @Option(help: "Parallelism of every operator.")
  var parallelism: Int = 1

  @Option(help: "State backend: heap or rocksdb.")
  var state: String = "heap"

  @Option(help: "RocksDB write-back cache per keyed subtask in MiB (0 turns it off).")
  var stateCacheMb: Int = 64

  @Option(help: "Checkpoint interval: off, 10s, 1s, 500ms, 100ms, …")
  var checkpointInterval: String = "off"

  @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
  var mode: String = "exactly-once"

  @Option(help: "Messages per fetch (engine and plain loop).")
  var fetchBatch: Int = 1_024

  @Flag(help: "Print one JSON object on one line.")
  var json = false

  func validate() throws {
    guard events > 0 else { throw ValidationError("--events must be positive") }
    guard (1...128).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...128")
    }
    guard fetchBatch > 0 else { throw ValidationError("--fetch-batch must be positive") }
    try validateStateAndCheckpointOptions(
      state: state, stateCacheMb: stateCacheMb, checkpointInterval: checkpointInterval, mode: mode)
  }

  func run() async throws {
    let stream = "bench_\(UUID().uuidString.prefix(8))"
    let subjects = (0..<4).map { "\(stream).\($0)" }
    let connection = try NATSConnection(url: natsUrl)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: stream, subjects: ["\(stream).*"])
    defer { try? jetStream.deleteStream(name: stream) }
    try publishCanonicalEvents(events, to: subjects, with: jetStream)

    let workDir = NSTemporaryDirectory() + "tributary-bench-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: workDir) }
    let backend = StateBackendConfiguration(
      kind: StateBackendConfiguration.Kind(rawValue: state)!, directory: workDir,
      cacheBytes: stateCacheMb << 20)
    let checkpointing = Interval(parsing: checkpointInterval)?.millisecondsValue.map {
      CheckpointingConfiguration(
        directory: workDir + "/checkpoints",
        settings: CheckpointSettings(
          intervalMillis: $0, mode: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce),
        fresh: true)
    }
    let env = benchEnvironment(
      parallelism: parallelism, backend: backend, checkpointing: checkpointing)
    let source = env.jetStreamSource(
      JetStreamSourceOptions(
        url: natsUrl, stream: stream, bounded: true, fetchBatch: fetchBatch),
      name: "JetStream", timestamp: { $0.timestampMs }
    ) { message in try CanonicalEvent(parsing: message.payload) }
    let report = addW2Windows(to: source, parallelism: parallelism)
    let result = try await env.execute()
    let totals = report.totals

    let plainStart = ContinuousClock.now
    let plain = try jetStream.plainReadAll(stream: stream, subjects: subjects, batch: fetchBatch)
    let plainSeconds = plainStart.duration(to: .now).seconds
    let rate = Double(events) / result.duration.seconds
    let baseline = Double(plain.messages) / plainSeconds
    var fields: [(String, JSONValue)] = [
      ("workload", .string("jetstream-w2")),
      ("events", .int(events)),
      ("parallelism", .int(parallelism)),
      ("state", .string(state)),
      ("seconds", .double(result.duration.seconds)),
      ("events_per_second", .double(rate)),
      ("output_records", .int(totals.records)),
      ("output_count", .int64(totals.count)),
      ("output_sum", .int64(totals.sum)),
      ("baseline_messages", .int(plain.messages)),
      ("baseline_events_per_second", .double(baseline)),
      ("ratio_to_baseline", .double(rate / baseline)),
      ("checkpoint_interval", .string(checkpointInterval)),
    ]
    let checkpointFields = result.checkpointFields
    for key in checkpointFields.keys.sorted() { fields.append((key, checkpointFields[key]!)) }
    if totals.count != Int64(events) {
      fields.append(("mismatch", .string("counted \(totals.count) of \(events) events")))
    }
    if json {
      print(jsonLine(fields))
    } else {
      for (key, value) in fields { print("\(key): \(value.text)") }
    }
  }
}

/// Publishes canonical events 0..<count, event `i` to `subjects[i % 4]` as
/// `key,timestamp_ms,value` (timestamps are monotonic within each subject).
func publishCanonicalEvents(_ count: Int, to subjects: [String], with jetStream: JetStream) throws {
  var start = 0
  while start < count {
    let end = min(count, start + 50_000)
    let messages = (start..<end).map { i in
      let event = CanonicalEvent.make(i)
      return JetStreamOutgoingMessage(
        subject: subjects[i % subjects.count],
        payload: Array("\(event.key),\(event.timestampMs),\(event.value)".utf8), messageID: nil)
    }
    _ = try jetStream.publishAll(messages)
    start = end
  }
}

/// A payload that is not `key,timestamp_ms,value`.
struct MalformedCanonicalEvent: Error {}

extension CanonicalEvent {
  /// Parses `key,timestamp_ms,value` (non-negative ASCII integers).
  init(parsing payload: [UInt8]) throws {
    var fields = (Int64(0), Int64(0), Int64(0))
    var field = 0
    var value: Int64 = 0
    var digits = 0
    for byte in payload {
      if byte == UInt8(ascii: ",") {
        guard digits > 0, field < 2 else { throw MalformedCanonicalEvent() }
        if field == 0 { fields.0 = value } else { fields.1 = value }
        field += 1
        value = 0
        digits = 0
      } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") && digits < 18 {
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        digits += 1
      } else {
        throw MalformedCanonicalEvent()
      }
    }
    guard field == 2, digits > 0 else { throw MalformedCanonicalEvent() }
    fields.2 = value
    self.init(key: fields.0, timestampMs: fields.1, value: fields.2)
  }
}
