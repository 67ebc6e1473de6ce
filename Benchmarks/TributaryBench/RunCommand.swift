import ArgumentParser
import Foundation
import Tributary
import TributaryWeb

/// `tributary-bench run`: one workload, one JSON line.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run one canonical workload and report its throughput.")

  @Option(
    help: ArgumentHelp(
      "Workload: w1 (stateless filter/map), w2 (tumbling windows), w3 (per-event keyed state), "
        + "w4 (two keyed inputs into a KeyedCoProcessFunction), "
        + "w5 (interval join of two keyed inputs, checked against a plain Swift hash join)."))
  var workload: String

  @Option(help: "Number of canonical events.")
  var events: Int = 100_000_000

  @Option(help: "Parallelism of every operator.")
  var parallelism: Int = 1

  @Option(help: "State backend for stateful workloads: heap or rocksdb.")
  var state: String = "heap"

  @Option(help: "RocksDB write-back cache per keyed subtask in MiB (0 turns it off).")
  var stateCacheMb: Int = 64

  @Option(help: "Directory for RocksDB state (default: a temporary directory).")
  var stateDir: String?

  @Option(help: "Checkpoint interval: off, 10s, 1s, 500ms, 100ms, 10ms, … or auto")
  var checkpointInterval: String = "off"

  @OptionGroup var recovery: RecoveryObjectiveOptions

  @Option(help: "Checkpointing mode: exactly-once or at-least-once.")
  var mode: String = "exactly-once"

  @Flag(help: "Print one JSON object on one line.")
  var json = false

  @Flag(help: "Skip the engine-free yardstick loop.")
  var noBaseline = false

  @Flag(
    help:
      "W3: also report latency (source to keyed state, every 1000th event); W2 always reports it.")
  var latency = false

  @Flag(help: "Count metrics (records, busy/idle/backpressure time, checkpoints) into a registry.")
  var metrics = false

  @Option(
    help:
      "Serve /metrics and the REST API on this port while the workload runs (implies --metrics).")
  var webPort: Int?

  func validate() throws {
    if let webPort, !(0...65_535).contains(webPort) {
      throw ValidationError("--web-port must be between 0 and 65535, got \(webPort)")
    }
    guard events > 0 else { throw ValidationError("--events must be positive") }
    guard (1...128).contains(parallelism) else {
      throw ValidationError("--parallelism must be in 1...128")
    }
    guard ["w1", "w2", "w3", "w4", "w5"].contains(workload) else {
      throw ValidationError("unknown --workload '\(workload)'; use w1, w2, w3, w4 or w5")
    }
    try validateStateAndCheckpointOptions(
      state: state, stateCacheMb: stateCacheMb, checkpointInterval: checkpointInterval, mode: mode,
      recovery: recovery)
  }

  func run() async throws {
    guard metrics || webPort != nil else { return try await runWorkload() }
    let registry = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: registry.factory)
    var server: JobWebServer?
    if let webPort {
      server = JobWebServer(monitor: monitor, metrics: registry, port: webPort)
      _ = try await server?.start()
    }
    do {
      try await BenchMonitoring.$monitor.withValue(monitor) { try await runWorkload() }
    } catch {
      await server?.stop()
      throw error
    }
    await server?.stop()
  }

  func runWorkload() async throws {
    let result: WorkloadResult
    var baseline: WorkloadResult?
    let backendKind = StateBackendConfiguration.Kind(rawValue: state)!
    let workDir = stateDir ?? NSTemporaryDirectory() + "tributary-bench-\(UUID().uuidString)"
    defer { if stateDir == nil { try? FileManager.default.removeItem(atPath: workDir) } }
    let backend = StateBackendConfiguration(
      kind: backendKind, directory: workDir, cacheBytes: stateCacheMb << 20)
    var stateFields: [(String, JSONValue)] = []
    let checkpointing = recovery.checkpointing(
      interval: checkpointInterval, mode: mode, directory: workDir + "/checkpoints")
    switch workload {
    case "w2":
      stateFields = [("state", .string(state))]
      if backendKind == .rocksdb { stateFields.append(("state_cache_mb", .int(stateCacheMb))) }
      result = try await runW2(
        events: events, parallelism: parallelism, backend: backend, checkpointing: checkpointing)
      if !noBaseline { baseline = runW2PlainLoop(events: events) }
    case "w3":
      stateFields = [("state", .string(state))]
      if backendKind == .rocksdb { stateFields.append(("state_cache_mb", .int(stateCacheMb))) }
      result = try await runW3(
        events: events, parallelism: parallelism, backend: backend, checkpointing: checkpointing,
        latency: latency)
      if !noBaseline {
        if backendKind == .rocksdb {
          let plainDir = workDir + "/plain-c-loop"
          let plain = try runPlainRocksDBGetPut(
            events: events, directory: plainDir, blockCacheBytes: backend.rocksDB.blockCacheBytes,
            writeBufferBytes: backend.rocksDB.writeBufferBytes)
          try? FileManager.default.removeItem(atPath: plainDir)
          baseline = WorkloadResult(
            seconds: plain.seconds, outputRecords: result.outputRecords,
            outputSum: result.outputSum)
        } else {
          baseline = runW3PlainDictionary(events: events)
        }
      }
    case "w4":
      stateFields = [("state", .string(state))]
      if backendKind == .rocksdb { stateFields.append(("state_cache_mb", .int(stateCacheMb))) }
      result = try await runW4(
        events: events, parallelism: parallelism, backend: backend, checkpointing: checkpointing)
      if !noBaseline { baseline = runW4PlainDictionary(events: events) }
    case "w5":
      stateFields = [("state", .string(state))]
      if backendKind == .rocksdb { stateFields.append(("state_cache_mb", .int(stateCacheMb))) }
      result = try await runW5(
        events: events, parallelism: parallelism, backend: backend, checkpointing: checkpointing)
      // The reference the output is checked against: computed even with --no-baseline.
      baseline = runW5PlainHashJoin(events: events)
    default:
      result = try await runW1(
        events: events, parallelism: parallelism, checkpointing: checkpointing)
      if !noBaseline { baseline = runW1PlainLoop(events: events) }
    }
    var fields: [(String, JSONValue)] =
      [
        ("workload", .string(workload)),
        ("events", .int(events)),
        ("parallelism", .int(parallelism)),
        ("metrics", .string(metrics || webPort != nil ? "on" : "off")),
      ] + stateFields + [
        ("seconds", .double(result.seconds)),
        ("events_per_second", .double(Double(events) / result.seconds)),
        ("output_records", .int(result.outputRecords)),
        ("output_sum", .int64(result.outputSum)),
        ("peak_rss_bytes", .int(peakResidentBytes())),
      ]
    for key in result.extra.keys.sorted() { fields.append((key, result.extra[key]!)) }
    if let baseline {
      let rate = Double(events) / baseline.seconds
      fields.append(("baseline_events_per_second", .double(rate)))
      fields.append(("ratio_to_baseline", .double(Double(events) / result.seconds / rate)))
      if baseline.outputRecords != result.outputRecords || baseline.outputSum != result.outputSum {
        fields.append(("baseline_mismatch", .string("engine and plain loop disagree")))
      }
      if let peak = baseline.extra["peak_state_entries"] {
        fields.append(("baseline_peak_state_entries", peak))
      }
    }
    if json {
      print(jsonLine(fields))
    } else {
      for (key, value) in fields { print("\(key): \(value.text)") }
    }
    if workload == "w5", let baseline,
      baseline.outputRecords != result.outputRecords || baseline.outputSum != result.outputSum
    {
      FileHandle.standardError.write(
        Data("w5: the join's output differs from the plain Swift reference\n".utf8))
      throw ExitCode.failure
    }
  }
}
