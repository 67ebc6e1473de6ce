import ArgumentParser
import Foundation
import Synchronization
import Tributary
import TributaryNexmark

/// `tributary-bench nexmark`: N generated Nexmark events through one query (or
/// each in turn), bounded, to the end of input; one report per query.
struct NexmarkCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nexmark",
    abstract: "Run Nexmark queries over generated events and report their throughput.")

  @Option(help: "Query: q0, q1, q2, q3, q4, q5, q7, q8, or all (each in turn, as a table).")
  var query: String

  @Option(help: "Number of generated events.")
  var events: Int = 10_000_000

  @Option(help: "Parallelism of every operator.")
  var parallelism: Int = 1

  @Option(help: "State backend: heap or rocksdb.")
  var state: String = "heap"

  @Option(
    help: ArgumentHelp(
      "RocksDB write-back cache per keyed subtask in MiB (0 turns it off); 512 here, where "
        + "the engine's default is 64, because Flink's Nexmark configuration gives RocksDB "
        + "about 2.8 GB of managed memory per slot.",
      valueName: "MiB"))
  var stateCacheMb: Int = 512

  @Option(help: "Directory for RocksDB state and checkpoints (default: a temporary directory).")
  var stateDir: String?

  @Option(
    help: ArgumentHelp(
      "RocksDB state in checkpoints: automatic (incremental native snapshots for large state, "
        + "the default here, as Flink's Nexmark configuration sets state.backend.incremental), "
        + "incremental or portable (every entry, every time).",
      valueName: "format"))
  var rocksdbSnapshots: String = "automatic"

  @Option(help: "Checkpoint interval: off, 10s, 1s, 500ms, …")
  var checkpointInterval: String = "off"

  @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
  var mode: String = "exactly-once"

  @Option(help: "Events per second of event time (Nexmark's first-event rate).")
  var firstEventRate: Int64 = 10_000_000

  @Option(help: "Write the generated events to FILE as JSON lines.")
  var eventsOut: String?

  @Option(help: "Write the query's results to FILE as JSON lines (one query only).")
  var resultsOut: String?

  @Flag(help: "Print one JSON object per query, one per line.")
  var json = false

  @Flag(
    help: ArgumentHelp(
      "Also time the generator alone: a plain single-threaded loop making the same events "
        + "(generator_events_per_second)."))
  var generatorBaseline = false

  func validate() throws {
    guard events > 0 else { throw ValidationError("--events must be positive") }
    guard (1...128).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...128")
    }
    if query != "all" {
      do { _ = try NexmarkQuery(named: query) } catch { throw ValidationError("\(error)") }
    } else if resultsOut != nil {
      throw ValidationError("--results-out needs one query (--query q0 … q8), not all")
    }
    guard firstEventRate > 0 else { throw ValidationError("--first-event-rate must be positive") }
    guard StateBackendConfiguration.RocksDBSnapshots(rawValue: rocksdbSnapshots) != nil else {
      throw ValidationError(
        "--rocksdb-snapshots must be automatic, incremental or portable, got '\(rocksdbSnapshots)'")
    }
    try validateStateAndCheckpointOptions(
      state: state, stateCacheMb: stateCacheMb, checkpointInterval: checkpointInterval, mode: mode)
  }

  var nexmarkConfiguration: NexmarkConfiguration {
    var configuration = NexmarkConfiguration()
    configuration.firstEventRate = firstEventRate
    return configuration
  }

  func run() async throws {
    if let eventsOut { try writeEvents(to: eventsOut) }
    let queries = query == "all" ? NexmarkQuery.allCases : [try NexmarkQuery(named: query)]
    var reports: [[(String, JSONValue)]] = []
    for query in queries {
      let fields = try await measure(query)
      reports.append(fields)
      if json {
        print(jsonLine(fields))
      } else if queries.count == 1 {
        for (key, value) in fields { print("\(key): \(value.text)") }
      }
    }
    if !json && queries.count > 1 { printTable(reports) }
  }

  /// Runs `query` once and returns its report.
  func measure(_ query: NexmarkQuery) async throws -> [(String, JSONValue)] {
    let backendKind = StateBackendConfiguration.Kind(rawValue: state)!
    let workDir = stateDir ?? NSTemporaryDirectory() + "tributary-nexmark-\(UUID().uuidString)"
    defer { if stateDir == nil { try? FileManager.default.removeItem(atPath: workDir) } }
    var backend = StateBackendConfiguration(
      kind: backendKind, directory: workDir + "/state", cacheBytes: stateCacheMb << 20)
    backend.rocksDBSnapshots = StateBackendConfiguration.RocksDBSnapshots(
      rawValue: rocksdbSnapshots)!
    let checkpointing = Interval(parsing: checkpointInterval)?.millisecondsValue.map {
      CheckpointingConfiguration(
        directory: workDir + "/checkpoints",
        settings: CheckpointSettings(
          intervalMillis: $0, mode: mode == "at-least-once" ? .atLeastOnce : .exactlyOnce),
        fresh: true)
    }
    let env = benchEnvironment(
      parallelism: parallelism, backend: backend, checkpointing: checkpointing)
    let sink = try ResultSink(path: resultsOut)
    let source = env.nexmark(events: events, configuration: nexmarkConfiguration)
    if resultsOut != nil {
      query.results(of: source).sink(name: "Results") { batch in try sink.write(batch) }
    } else {
      countRows(of: query, source, into: sink)
    }
    let cpuBefore = processCPUSeconds()
    let result = try await env.execute()
    let cpuSeconds = processCPUSeconds() - cpuBefore
    try sink.close()
    let seconds = result.duration.seconds
    var fields: [(String, JSONValue)] = [
      ("query", .string(query.rawValue)),
      ("events", .int(events)),
      ("parallelism", .int(parallelism)),
      ("state", .string(state)),
    ]
    if backendKind == .rocksdb {
      fields.append(("state_cache_mb", .int(stateCacheMb)))
      fields.append(("rocksdb_snapshots", .string(rocksdbSnapshots)))
    }
    fields += [
      ("checkpoint_interval", .string(checkpointInterval)),
      ("seconds", .double(seconds)),
      ("events_per_second", .double(Double(events) / seconds)),
      ("events_per_second_per_core", .double(Double(events) / seconds / Double(parallelism))),
      ("cpu_seconds", .double(cpuSeconds)),
      ("events_per_cpu_second", .double(Double(events) / cpuSeconds)),
      ("output_records", .int(sink.records)),
      ("peak_rss_bytes", .int(peakResidentBytes())),
    ]
    let checkpointFields = result.checkpointFields
    for key in checkpointFields.keys.sorted() { fields.append((key, checkpointFields[key]!)) }
    if generatorBaseline {
      let (wall, cpu) = timeGenerator()
      fields.append(("generator_events_per_second", .double(Double(events) / wall)))
      fields.append(("generator_events_per_cpu_second", .double(Double(events) / cpu)))
    }
    return fields
  }

  /// Counts `query`'s rows straight off its own output stream, as Flink's
  /// Nexmark runs end in a blackhole sink: without `--results-out` no row is
  /// wrapped in a ``NexmarkResult`` (a copy of each row) only to be counted.
  func countRows(
    of query: NexmarkQuery, _ source: DataStream<NexmarkEvent>, into sink: ResultSink
  ) {
    switch query {
    case .q0: source.q0().sink(name: "Results") { sink.count($0.count) }
    case .q1: source.q1().sink(name: "Results") { sink.count($0.count) }
    case .q2: source.q2().sink(name: "Results") { sink.count($0.count) }
    case .q3: source.q3().sink(name: "Results") { sink.count($0.count) }
    case .q4: source.q4().sink(name: "Results") { sink.count($0.count) }
    case .q5: source.q5().sink(name: "Results") { sink.count($0.count) }
    case .q7: source.q7().sink(name: "Results") { sink.count($0.count) }
    case .q8: source.q8().sink(name: "Results") { sink.count($0.count) }
    }
  }

  /// Wall-clock and CPU seconds of a plain single-threaded loop that
  /// generates the same events (the floor under every query: the engine's
  /// source does this work and more).
  func timeGenerator() -> (wall: Double, cpu: Double) {
    func threadCPUNanos() -> UInt64 {
      var ts = timespec()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
      return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    let generator = NexmarkGenerator(configuration: nexmarkConfiguration)
    let start = monotonicNanos()
    let cpuStart = threadCPUNanos()
    var bids = 0
    for n in 0..<events where generator.event(Int64(n)).bid != nil { bids += 1 }
    let cpu = Double(threadCPUNanos() - cpuStart) / 1e9
    let wall = Double(monotonicNanos() - start) / 1e9
    precondition(bids > 0 || events < 50)
    return (wall, cpu)
  }

  /// Writes events `0..<events` as JSON lines, in event-number order.
  func writeEvents(to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let handle = FileHandle(forWritingAtPath: path)
    else { throw ValidationError("cannot create --events-out file '\(path)'") }
    defer { try? handle.close() }
    let generator = NexmarkGenerator(configuration: nexmarkConfiguration)
    var chunk = ""
    for n in 0..<events {
      chunk += generator.event(Int64(n)).jsonLine
      chunk += "\n"
      if chunk.utf8.count >= 1 << 20 {
        try handle.write(contentsOf: Data(chunk.utf8))
        chunk = ""
      }
    }
    try handle.write(contentsOf: Data(chunk.utf8))
  }

  /// The `--query all` table: one row per query.
  func printTable(_ reports: [[(String, JSONValue)]]) {
    let columns = [
      "query", "events_per_second", "output_records", "seconds", "checkpoints_completed",
    ]
    print(columns.joined(separator: "\t"))
    for report in reports {
      let values = Dictionary(report, uniquingKeysWith: { a, _ in a })
      print(
        columns.map { column in
          guard let value = values[column] else { return "-" }
          if case .double(let v) = value {
            return String(format: column == "seconds" ? "%.2f" : "%.0f", v)
          }
          if case .string(let s) = value { return s }
          return value.text
        }.joined(separator: "\t"))
    }
  }
}

/// User plus system CPU time of this process so far, in seconds (all threads).
func processCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
  return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Counts result rows from every sink subtask and, with a path, appends them
/// to that file as JSON lines.
final class ResultSink: Sendable {
  private let count = Atomic<Int>(0)
  private let file: Mutex<FileHandle?>

  init(path: String?) throws {
    guard let path else {
      file = Mutex(nil)
      return
    }
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let handle = FileHandle(forWritingAtPath: path)
    else { throw ValidationError("cannot create --results-out file '\(path)'") }
    file = Mutex(handle)
  }

  var records: Int { count.load(ordering: .relaxed) }

  /// Counts `rows` rows without writing them.
  func count(_ rows: Int) { count.add(rows, ordering: .relaxed) }

  func write(_ batch: [NexmarkResult]) throws {
    count.add(batch.count, ordering: .relaxed)
    try file.withLock { handle in
      guard let handle else { return }
      var text = ""
      for row in batch {
        text += row.jsonLine
        text += "\n"
      }
      try handle.write(contentsOf: Data(text.utf8))
    }
  }

  func close() throws { try file.withLock { try $0?.close() } }
}
