import AnomalyDetectionCore
import ArgumentParser
import Foundation
import Synchronization
import Tributary
import TributaryCLI
import TributaryNATS
import TributaryPostgres

/// `anomaly-detection`: sensor anomaly detection in event time, keyed by
/// sensor, with RocksDB state and checkpoints; alerts go to standard output and
/// exactly once to JSON-lines files. With no arguments it runs on a generated
/// stream with injected anomalies and scores itself against them.
@main
struct AnomalyDetectionCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "anomaly-detection",
    abstract: "Detects spikes, level shifts, drift, stuck and silent sensors in event time.",
    discussion: """
      Without --input it generates 1,000 sensors with injected anomalies and reports precision \
      and recall. With --input it reads NAB-format files (timestamp,value; one key per file) \
      and, with --labels, scores the alerts the way the Numenta Anomaly Benchmark does.
      """)

  @Option(
    parsing: .upToNextOption,
    help: "NAB-format CSV files (timestamp,value lines); each file is one key.")
  var input: [String] = []

  @Option(help: "NAB labels (combined_windows.json) to score the alerts of --input against.")
  var labels: String?

  @Option(
    help:
      "Directory for committed alerts (*.jsonl) and dead letters (default: a temporary directory).")
  var output: String?

  @Option(help: "Generated sensors.")
  var sensors: Int = 1_000

  @Option(help: "Generated days of readings per sensor.")
  var days: Double = 3

  @Option(help: "Seconds between two readings of a generated sensor.")
  var intervalSeconds: Int = 30

  @Option(
    help: "Write one SVG per input file (or per injected kind of anomaly) into this directory.")
  var plot: String?

  @Option(help: "Seed of the generator.")
  var seed: UInt64 = 7

  @Option(help: "Limit the source to this many readings per second (default: as fast as possible).")
  var rate: Double?

  @Option(help: "Print at most this many alerts on standard output.")
  var printAlerts: Int = 25

  @Flag(help: "No progress line.")
  var quiet = false

  @Option(help: "Where readings come from: generator (default), files (--input) or jetstream.")
  var source: String?

  @Option(help: "The NATS server (--source jetstream).")
  var natsUrl: String?

  @Option(
    help: "The JetStream stream of readings `sensor,timestamp_ms,value` (sensor: an integer id).")
  var natsStream: String?

  @Flag(help: "Read the readings present at start, then end (default: follow the stream).")
  var natsBounded = false

  @Option(help: "Where alerts go: files (default, JSON lines in --output) or postgres.")
  var alertsTo: String = "files"

  @Option(help: "The database, postgresql://USER@HOST:PORT/DB (--alerts-to postgres).")
  var postgresUrl: String?

  @Option(help: "The alerts table; created if missing (--alerts-to postgres).")
  var postgresTable: String = "alerts"

  @OptionGroup var pipeline: PipelineOptions

  /// Whether readings come from JetStream.
  var readsJetStream: Bool { source == "jetstream" }

  func validate() throws {
    if let source, !["generator", "files", "jetstream"].contains(source) {
      throw ValidationError("--source must be generator, files or jetstream, not '\(source)'")
    }
    if readsJetStream && (natsUrl == nil || natsStream == nil) {
      throw ValidationError("--source jetstream needs --nats-url and --nats-stream")
    }
    guard ["files", "postgres"].contains(alertsTo) else {
      throw ValidationError("--alerts-to must be files or postgres, not '\(alertsTo)'")
    }
    if alertsTo == "postgres" && postgresUrl == nil {
      throw ValidationError("--alerts-to postgres needs --postgres-url")
    }
    if !input.isEmpty, input.contains(where: { $0.hasPrefix("-") }) {
      throw ValidationError("--input takes file paths")
    }
    if labels != nil && input.isEmpty {
      throw ValidationError("--labels scores the alerts of --input files; give --input as well")
    }
    if input.isEmpty && !readsJetStream {
      guard sensors > 0, days > 0, intervalSeconds > 0 else {
        throw ValidationError("--sensors, --days and --interval-seconds must be positive")
      }
      guard sensors % pipeline.parallelism == 0 else {
        throw ValidationError(
          "--sensors (\(sensors)) must be a multiple of --parallelism (\(pipeline.parallelism)) so "
            + "that every sensor's readings come from one source subtask, in order")
      }
    }
    if pipeline.checkpointDir != nil && output == nil {
      throw ValidationError(
        "--checkpoint-dir needs --output too: a resumed run commits into the same output directory")
    }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
  }

  func run() async throws {
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("anomaly-detection-\(UUID().uuidString.prefix(8))").path
    let outputDir = output ?? scratch + "/alerts"
    try FileManager.default.createDirectory(
      atPath: outputDir, withIntermediateDirectories: true)
    let logOutput: @Sendable (String) -> Void = { line in ProgressLine.shared.printAbove(line) }
    var config = pipeline.makeEnvironment(logOutput: logOutput).configuration
    if pipeline.stateBackend == nil {
      config.stateBackend = .rocksdb(
        directory: pipeline.stateDir ?? scratch + "/state", cacheBytes: pipeline.stateCacheMb << 20)
    }
    config.checkpointing =
      pipeline.checkpointingConfiguration
      ?? CheckpointingConfiguration(
        directory: scratch + "/checkpoints",
        settings: CheckpointSettings(intervalMillis: pipeline.checkpointIntervalMillis))
    let env = StreamEnvironment(configuration: config)
    let counter = ReadingCounter()
    var settings = DetectorSettings()
    if !input.isEmpty { settings.detectors = .novelty }

    let source: Source
    if readsJetStream {
      source = .jetStream(stream: natsStream ?? "")
    } else if input.isEmpty {
      let ticks = Int((days * 86_400 / Double(intervalSeconds)).rounded())
      source = .generated(
        SensorGenerator(
          sensors: sensors, ticks: ticks, intervalMs: Int64(intervalSeconds) * 1_000, seed: seed))
    } else {
      let loaded = try NABInput(paths: input)
      try DeadLetterFile.write(loaded.deadLetters, to: outputDir)
      source = .files(loaded)
    }
    let readings: DataStream<Reading>
    let intervalMs: Int64
    var sourceParallelism: Int?
    let total: Int
    switch source {
    case .jetStream(let stream):
      readings = env.jetStreamSource(
        JetStreamSourceOptions(
          url: natsUrl ?? "", stream: stream, bounded: natsBounded,
          watermarks: SplitWatermarkOptions(maxOutOfOrderness: .seconds(5))),
        name: "Readings", timestamp: { $0.timestampMs }
      ) { message in try Reading(parsing: message.payload) }
      intervalMs = Int64(intervalSeconds) * 1_000
      total = 0
      print("reading stream \(stream) from \(natsUrl ?? "")")
    case .generated(let generator):
      readings = env.generate(count: generator.count, ratePerSecond: rate, name: "Sensors") {
        generator.reading($0)
      }
      .filter(name: "DropGaps") { $0.flag != .gap }
      intervalMs = generator.intervalMs
      total = generator.count
      print(
        "generating \(generator.sensors) sensors × \(generator.ticks) readings "
          + "(\(formatCount(generator.count)) readings, \(generator.truth.count) injected anomalies)"
      )
    case .files(let loaded):
      // One source subtask keeps each file's readings in order.
      readings = env.generate(count: loaded.readings.count, ratePerSecond: rate, name: "Files") {
        loaded.readings[$0]
      }.parallelism(1)
      sourceParallelism = 1
      intervalMs = loaded.medianIntervalMs
      total = loaded.readings.count - loaded.keys.count
      print(
        "reading \(loaded.keys.count) files (\(formatCount(total)) readings, "
          + "\(loaded.deadLetters.count) dead letters)")
    }
    let formatter = AlertFormatter(source: source, printLimit: printAlerts)
    let alerts = AnomalyPipeline.alerts(
      from: readings, settings: settings, intervalMs: intervalMs, outOfOrderness: .seconds(5),
      counter: counter, sourceParallelism: sourceParallelism
    )
    if alertsTo == "postgres", let postgresUrl {
      alerts.writeToPostgres(
        PostgresSinkOptions(
          url: postgresUrl, table: postgresTable,
          columns: [
            PostgresColumn("sensor", "text"), PostgresColumn("event_time_ms", "bigint"),
            PostgresColumn("kind", "text"), PostgresColumn("value", "double precision"),
            PostgresColumn("score", "double precision"),
            PostgresColumn("expected_low", "double precision"),
            PostgresColumn("expected_high", "double precision"),
          ],
          jobID: "anomaly-detection")
      ) { alert in
        [
          source.key(alert.sensor), String(alert.timestampMs + source.startMs(alert.sensor)),
          alert.kind.description, String(alert.value), String(alert.score),
          String(alert.expectedLow), String(alert.expectedHigh),
        ]
      }
    } else {
      alerts.writeTransactional(directory: outputDir, prefix: "alerts", fileExtension: "jsonl") {
        formatter.format($0)
      }
    }

    let started = ContinuousClock.now
    let progress = quiet ? nil : ProgressLine.shared.start(counter: counter, total: total)
    let report = Mutex<CheckpointReport?>(nil)
    let finished = try await pipeline.run(env) {
      let result = try await env.execute()
      report.withLock { $0 = result.checkpoints }
    }
    progress?.cancel()
    ProgressLine.shared.clear()
    let elapsed = ContinuousClock.now - started
    guard finished else {
      print(
        pipeline.checkpointDir == nil
          ? "stopped by signal (give --checkpoint-dir and --output to be able to resume)"
          : "stopped by signal; run again with the same arguments to resume")
      return
    }
    if pipeline.checkpointDir == nil {
      // Our own temporary checkpoints cannot be resumed from: remove them.
      try? FileManager.default.removeItem(atPath: scratch + "/checkpoints")
    }
    try? FileManager.default.removeItem(atPath: scratch + "/state")  // only ever ours
    if alertsTo == "postgres" {
      print(
        "done: \(formatCount(counter.value)) readings; alerts committed exactly once to table "
          + "\(postgresTable)")
      return
    }
    try Summary(
      source: source, outputDir: outputDir, labelsPath: labels, processed: counter.value,
      elapsed: elapsed, checkpoints: report.withLock { $0 }
    ).print()
    if let plot {
      let paths = try Plots.write(
        source: source, alerts: Summary.committedAlerts(in: outputDir), labelsPath: labels,
        to: plot)
      print("  plots: \(paths.count) SVG files in \(plot)")
    }
  }
}

/// Where the readings come from.
enum Source: Sendable {
  /// The built-in generator.
  case generated(SensorGenerator)
  /// NAB-format files.
  case files(NABInput)
  /// A JetStream stream of `sensor,timestamp_ms,value` readings.
  case jetStream(stream: String)

  /// The key name of sensor `k`.
  func key(_ k: Int32) -> String {
    switch self {
    case .generated, .jetStream: SensorGenerator.name(k)
    case .files(let input): input.keys[Int(k)]
    }
  }

  /// Absolute time of sensor `k`'s relative event time 0 (files are aligned
  /// to their first timestamp; generated time is absolute).
  func startMs(_ k: Int32) -> Int64 {
    switch self {
    case .generated, .jetStream: 0
    case .files(let input): input.startMs[Int(k)]
    }
  }

  /// The input's timestamp text of `line`, if any.
  func timestampText(_ line: Int32) -> String? {
    switch self {
    case .generated, .jetStream: nil
    case .files(let input): line >= 0 ? input.timestampTexts[Int(line)] : nil
    }
  }
}

/// Turns alerts into JSON lines and prints the first few as they are written.
final class AlertFormatter: Sendable {
  let source: Source
  let printLimit: Int
  private let count = Mutex<Int>(0)

  init(source: Source, printLimit: Int) {
    self.source = source
    self.printLimit = printLimit
  }

  /// Alerts printed so far (including replays after a restart).
  var printed: Int { count.withLock { $0 } }

  func format(_ alert: Alert) -> String {
    var absolute = alert
    absolute.timestampMs += source.startMs(alert.sensor)
    let json = absolute.json(
      key: source.key(alert.sensor), timestampText: source.timestampText(alert.line))
    let index = count.withLock { value in
      value += 1
      return value
    }
    if index <= printLimit {
      ProgressLine.shared.printAbove("alert \(json)")
    } else if index == printLimit + 1 && printLimit > 0 {
      ProgressLine.shared.printAbove("… more alerts in the output directory (see the summary)")
    }
    return json
  }
}

/// `1234567` as `1.23M`.
func formatCount(_ value: Int) -> String {
  if value >= 1_000_000 { return String(format: "%.2fM", Double(value) / 1e6) }
  if value >= 10_000 { return String(format: "%.1fk", Double(value) / 1e3) }
  return String(value)
}

/// A JetStream payload that is not `sensor,timestamp_ms,value`.
struct MalformedReading: Error, CustomStringConvertible {
  var description: String { "expected sensor,timestamp_ms,value (integer, integer, number)" }
}

extension Reading {
  /// Parses `sensor,timestamp_ms,value`: an integer sensor id, integer
  /// milliseconds and a decimal value.
  init(parsing payload: [UInt8]) throws {
    let fields = String(decoding: payload, as: UTF8.self).split(
      separator: ",", omittingEmptySubsequences: false)
    guard fields.count == 3, let sensor = Int32(fields[0]), let time = Int64(fields[1]),
      let value = Double(fields[2]), value.isFinite
    else { throw MalformedReading() }
    self.init(sensor: sensor, timestampMs: time, value: value)
  }
}
