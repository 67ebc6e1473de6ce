import ArgumentParser
import Foundation
import Synchronization
import Tributary
import TributaryNATS

/// `tributary-bench exchange-instance` (hidden): instance I of W2 run as K
/// instances, started by `tributary-bench exchange`. Prints one JSON line:
/// its run's moments, its window results and the moments its latency
/// measurement needs (the parent combines them across instances).
struct ExchangeInstanceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exchange-instance",
    abstract: "One instance of `tributary-bench exchange` (started by it).",
    shouldDisplay: false)

  @Option var natsUrl: String?
  @Option var events: Int
  @Option var instances: Int
  @Option var instance: Int
  @Option var jobName: String
  @Option var checkpointDir: String
  @Option var checkpointInterval: String
  @Option var parallelism: Int = 1
  @Option var rate: Double = 0
  @Option var maxParallelism: Int = KeyGroups.defaultMaxParallelism

  func run() async throws {
    let settings =
      instances == 1
      ? InstanceSettings.single
      : try InstanceSettings(
        count: instances, index: instance, exchangeURL: natsUrl, jobName: jobName)
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.maxParallelism = maxParallelism
    config.jobName = jobName
    config.stateBackend = StateBackendConfiguration(kind: .heap, directory: nil, cacheBytes: 0)
    config.checkpointing = CheckpointingConfiguration(
      directory: settings.checkpointDirectory(in: checkpointDir),
      settings: CheckpointSettings(
        intervalMillis: Interval(parsing: checkpointInterval)?.millisecondsValue,
        mode: .exactlyOnce),
      fresh: true)
    if let natsUrl, !settings.isSingle {
      config.exchangeTransport = JetStreamExchange(url: natsUrl)
    }
    let env = StreamEnvironment(configuration: config, instances: settings)
    let passTimes = WatermarkPassTimes(sourceParallelism: parallelism)
    let outputs = WindowOutputTimes()
    // The rate is the job's: each instance generates its share of it.
    let source = env.generate(
      count: events, ratePerSecond: rate > 0 ? rate / Double(instances) : nil
    ) { CanonicalEvent.make($0) }
    w2CountSum(
      source.assignTimestampsAndWatermarks(
        .monotonic { $0.timestampMs }.withInterval(.milliseconds(50))),
      passTimes: passTimes
    )
    .sink(name: "W2Sink") { _ in WindowOutputSink(times: outputs) }
    let start = monotonicNanos()
    let result = try await env.execute()
    let end = monotonicNanos()
    let totals = outputs.totals
    print(
      jsonLine([
        ("instance", .int(instance)),
        ("start_nanos", .int64(Int64(start))),
        ("end_nanos", .int64(Int64(end))),
        ("output_records", .int(totals.records)),
        ("output_count", .int64(totals.count)),
        ("output_sum", .int64(totals.sum)),
        ("checkpoints_completed", .int(result.checkpoints?.completed ?? 0)),
        (
          "passes",
          .array(
            passTimes.moments.sorted { $0.key < $1.key }.map {
              .array([.int64($0.key), .int64(Int64($0.value))])
            })
        ),
        (
          "outputs",
          .array(
            totals.moments.map {
              .array([.int64($0.windowEnd), .int64(Int64($0.nanos)), .int($0.results)])
            })
        ),
      ]))
  }
}

/// The moments sinks wrote window results, merged from every sink subtask.
final class WindowOutputTimes: Sendable {
  private let state = Mutex<
    (
      records: Int, count: Int64, sum: Int64,
      moments: [(windowEnd: Int64, nanos: UInt64, results: Int)]
    )
  >((0, 0, 0, []))

  func add(
    records: Int, count: Int64, sum: Int64,
    moments: [(windowEnd: Int64, nanos: UInt64, results: Int)]
  ) {
    state.withLock {
      $0.records += records
      $0.count &+= count
      $0.sum &+= sum
      $0.moments += moments
    }
  }

  var totals:
    (
      records: Int, count: Int64, sum: Int64,
      moments: [(windowEnd: Int64, nanos: UInt64, results: Int)]
    )
  { state.withLock { $0 } }
}

/// Counts W2 results and notes, per batch and window, when they were written
/// (monotonic clock, so comparable with other processes of this machine).
final class WindowOutputSink: StreamSink {
  typealias Input = WindowCount
  let times: WindowOutputTimes
  var records = 0
  var count: Int64 = 0
  var sum: Int64 = 0
  var moments: [(windowEnd: Int64, nanos: UInt64, results: Int)] = []
  init(times: WindowOutputTimes) { self.times = times }

  func write(_ batch: [WindowCount]) throws {
    let now = monotonicNanos()
    for result in batch {
      records += 1
      count &+= result.count
      sum &+= result.sum
      if let last = moments.last, last.windowEnd == result.windowEnd, last.nanos == now {
        moments[moments.count - 1].results += 1
      } else {
        moments.append((result.windowEnd, now, 1))
      }
    }
  }

  func finish() throws { times.add(records: records, count: count, sum: sum, moments: moments) }
}
