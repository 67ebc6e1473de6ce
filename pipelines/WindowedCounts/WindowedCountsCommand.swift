import ArgumentParser
import Foundation
import Tributary
import TributaryCLI
import TributaryNATS
import TributaryPostgres

/// A canonical benchmark event (see `tributary-bench`).
struct Event: Sendable {
  var key: Int64
  var timestampMs: Int64
  var value: Int64
}

extension Event: BinaryCodable {
  func encode(to writer: inout BinaryWriter) {
    key.encode(to: &writer)
    timestampMs.encode(to: &writer)
    value.encode(to: &writer)
  }
  static func decode(from reader: inout BinaryReader) throws(CodecError) -> Event {
    Event(
      key: try .decode(from: &reader), timestampMs: try .decode(from: &reader),
      value: try .decode(from: &reader))
  }
}

/// Count and sum of values.
struct CountAndSum: AggregateFunction {
  func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
  func add(_ event: Event, to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(acc.first + 1, acc.second + event.value)
  }
  func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
  func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
    Pair(a.first + b.first, a.second + b.second)
  }
}

/// `windowed-counts`: W2 (1-second tumbling event-time windows, count and sum
/// per key) from the generator or a JetStream stream into the exactly-once
/// file sink, a PostgreSQL table or a JetStream subject. Killed at any moment
/// and restarted with the same arguments, the committed output equals that
/// of one undisturbed run.
@main
struct WindowedCountsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "windowed-counts",
    abstract: "Per-key counts and sums in 1-second event-time windows, written exactly once.")

  @Option(help: "Number of events (omit for an unbounded stream).")
  var events: Int?

  @Option(help: "Events per second (omit for as fast as possible).")
  var rate: Double?

  @Option(help: "Directory for the committed output files (*.csv: window_end,key,count,sum).")
  var output: String = "windowed-counts-output"

  @Option(help: "Where events come from: generator or jetstream.")
  var source: String = "generator"

  @Option(help: "Where results go: files, postgres or jetstream.")
  var sink: String = "files"

  @Option(help: "The NATS server (for --source jetstream and --sink jetstream).")
  var natsUrl: String?

  @Option(help: "The JetStream stream to read (its subjects are the splits).")
  var natsStream: String?

  @Flag(help: "Read the messages present at start, then end (default: follow the stream).")
  var natsBounded = false

  @Option(help: "The subject results are published to (--sink jetstream).")
  var natsSubject: String?

  @Option(help: "The database, postgresql://USER@HOST:PORT/DB (--sink postgres).")
  var postgresUrl: String?

  @Option(help: "The table results go to; created if missing (--sink postgres).")
  var postgresTable: String?

  @Option(help: "Sink guarantee: exactly-once, at-least-once, or upsert (postgres only).")
  var sinkMode: String = "exactly-once"

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    if let events, events < 0 { throw ValidationError("--events must not be negative") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    switch source {
    case "generator": break
    case "jetstream":
      guard natsUrl != nil, natsStream != nil else {
        throw ValidationError("--source jetstream needs --nats-url and --nats-stream")
      }
    default: throw ValidationError("--source must be generator or jetstream, not '\(source)'")
    }
    switch sink {
    case "files": break
    case "postgres":
      guard postgresUrl != nil, postgresTable != nil else {
        throw ValidationError("--sink postgres needs --postgres-url and --postgres-table")
      }
    case "jetstream":
      guard natsUrl != nil, natsSubject != nil else {
        throw ValidationError("--sink jetstream needs --nats-url and --nats-subject")
      }
    default: throw ValidationError("--sink must be files, postgres or jetstream, not '\(sink)'")
    }
    guard ["exactly-once", "at-least-once", "upsert"].contains(sinkMode),
      sinkMode != "upsert" || sink == "postgres"
    else {
      throw ValidationError(
        "--sink-mode must be exactly-once or at-least-once (or upsert with --sink postgres)")
    }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    let results = events(in: env)
      .keyBy { $0.key }
      .window(.tumbling(.seconds(1)))
      .aggregate(name: "CountSum", CountAndSum()) { key, window, acc in
        WindowResult(
          windowEnd: window.end, key: key, count: acc.first, sum: acc.second)
      }
    write(results)
    let finished = try await pipeline.run(env)
    print(finished ? "done: results in \(destination)" : "stopped by signal")
  }

  /// The canonical events, from the generator or from JetStream.
  func events(in env: StreamEnvironment) -> DataStream<Event> {
    guard source == "jetstream", let natsUrl, let natsStream else {
      return env.generate(count: events, ratePerSecond: rate, name: "Events") { i in
        Event(key: Int64(i % 10_000), timestampMs: Int64(i / 1_000), value: Int64(i % 100))
      }
      .assignTimestampsAndWatermarks(.monotonic { $0.timestampMs })
    }
    let deadLetters = OutputTag<JetStreamDeadLetter>("dead-letters")
    let stream = env.jetStreamSource(
      JetStreamSourceOptions(url: natsUrl, stream: natsStream, bounded: natsBounded),
      name: "Events", deadLetters: deadLetters, timestamp: { $0.timestampMs }
    ) { message in try Event(parsing: message.payload) }
    stream.sideOutput(deadLetters).sink(name: "DeadLetters") { letters in
      for letter in letters {
        FileHandle.standardError.write(Data("dead letter: \(letter)\n".utf8))
      }
    }
    return stream
  }

  func write(_ results: DataStream<WindowResult>) {
    switch sink {
    case "postgres":
      let mode: PostgresSinkMode =
        switch sinkMode {
        case "upsert": .upsert(keyColumns: ["window_end", "key"])
        case "at-least-once": .atLeastOnce
        default: .exactlyOnce
        }
      results.writeToPostgres(
        PostgresSinkOptions(
          url: postgresUrl!, table: postgresTable!,
          columns: [
            PostgresColumn("window_end", "bigint"), PostgresColumn("key", "bigint"),
            PostgresColumn("count", "bigint"), PostgresColumn("sum", "bigint"),
          ],
          mode: mode, jobID: "windowed-counts")
      ) { [String($0.windowEnd), String($0.key), String($0.count), String($0.sum)] }
    case "jetstream":
      results.writeToJetStream(
        JetStreamSinkOptions(
          url: natsUrl!, subject: natsSubject!,
          mode: sinkMode == "at-least-once" ? .atLeastOnce : .exactlyOnce,
          jobID: "windowed-counts")
      ) { Array($0.line.utf8) }
    default:
      results.writeTransactional(directory: output) { $0.line }
    }
  }

  var destination: String {
    switch sink {
    case "postgres": "table \(postgresTable ?? "")"
    case "jetstream": "subject \(natsSubject ?? "")"
    default: output
    }
  }
}

/// One result row: `window_end,key,count,sum`.
struct WindowResult: Sendable {
  var windowEnd: Int64
  var key: Int64
  var count: Int64
  var sum: Int64
  var line: String { "\(windowEnd),\(key),\(count),\(sum)" }
}

/// A payload that is not `key,timestamp_ms,value` (three integers).
struct MalformedEvent: Error, CustomStringConvertible {
  let reason: String
  var description: String { reason }
}

extension Event {
  /// Parses `key,timestamp_ms,value` (ASCII integers). Allocates nothing:
  /// it runs once per message.
  init(parsing payload: [UInt8]) throws {
    var fields: (Int64, Int64, Int64) = (0, 0, 0)
    var count = 0
    var value: Int64 = 0
    var negative = false
    var digits = 0
    // One past the end acts as the last field's separator.
    for index in 0...payload.count {
      let byte = index < payload.count ? payload[index] : UInt8(ascii: ",")
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        let (times, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
        guard !o1 && !o2 else { throw MalformedEvent(reason: "a number is out of range") }
        value = sum
        digits += 1
      case UInt8(ascii: "-") where digits == 0 && !negative:
        negative = true
      case UInt8(ascii: ","):
        guard digits > 0 else {
          throw MalformedEvent(reason: "expected key,timestamp_ms,value (three integers)")
        }
        let field = negative ? -value : value
        switch count {
        case 0: fields.0 = field
        case 1: fields.1 = field
        case 2: fields.2 = field
        default: break
        }
        count += 1
        value = 0
        negative = false
        digits = 0
      default:
        throw MalformedEvent(reason: "unexpected byte \(byte) in key,timestamp_ms,value")
      }
    }
    guard count == 3 else {
      throw MalformedEvent(reason: "expected 3 fields (key,timestamp_ms,value), got \(count)")
    }
    self.init(key: fields.0, timestampMs: fields.1, value: fields.2)
  }
}
