import AnomalyDetectionCore
import Foundation
import Testing
import Tributary

/// The whole dataflow in-process, on small generated streams.
@Suite struct PipelineTests {
  /// Runs the pipeline over `generator` (heap state, parallelism 2) and returns its alerts.
  static func run(_ generator: SensorGenerator) async throws -> [Alert] {
    var config = JobConfiguration()
    config.parallelism = 2
    config.batchSize = 512
    let env = StreamEnvironment(configuration: config)
    let readings = env.generate(count: generator.count, name: "Sensors") { generator.reading($0) }
      .filter { $0.flag != .gap }
    let alerts = AnomalyPipeline.alerts(
      from: readings, settings: DetectorSettings(), intervalMs: generator.intervalMs,
      outOfOrderness: .seconds(5)
    ).collect()
    _ = try await env.execute()
    return alerts.values
  }

  @Test func everyInjectedKindIsFoundInEventTime() async throws {
    // Every sensor gets an anomaly; the five kinds take turns.
    let generator = SensorGenerator(
      sensors: 10, ticks: 5_760, intervalMs: 30_000, seed: 3, anomalyEvery: 1)
    let alerts = try await Self.run(generator)
    let evaluation = TruthEvaluation(
      alerts: alerts.map { ($0.sensor, $0.timestampMs) }, truth: generator.truth,
      slackMs: generator.intervalMs, graceMs: 3_600_000)
    for kind in AlertKind.allCases where kind != .novelty {
      let entry = evaluation.byKind[kind]
      #expect(
        entry != nil && entry?.found == entry?.injected,
        "every \(kind) is found: \(String(describing: entry))")
    }
    #expect(evaluation.precision >= 0.6, "most alerts are about injected anomalies")
    // The silent sensors are reported as silent, the stuck ones as stuck.
    for anomaly in generator.truth where anomaly.kind == .silent || anomaly.kind == .stuck {
      #expect(
        alerts.contains {
          $0.sensor == anomaly.sensor && $0.kind == anomaly.kind
            && $0.timestampMs >= anomaly.startMs
            && $0.timestampMs <= anomaly.endMs
        }, "\(anomaly.kind) on sensor \(anomaly.sensor)")
    }
  }

  @Test func cleanSensorsRaiseNoAlerts() async throws {
    let generator = SensorGenerator(
      sensors: 20, ticks: 2_880, intervalMs: 30_000, seed: 5, anomalyEvery: .max)
    #expect(generator.truth.isEmpty)
    let alerts = try await Self.run(generator)
    #expect(alerts.count <= 1, "clean data gives (almost) no alerts: \(alerts.map(\.kind))")
  }
}

/// The novelty path (`--input`) in-process, on both state backends: the
/// keyed function raises exactly the alerts of the pure detector.
@Suite struct NoveltyPipelineTests {
  /// Three sensors, 3,000 readings each, a minute apart; each gets a change late on.
  static func readings() -> [Reading] {
    var out: [Reading] = []
    for i in 0..<3_000 {
      for k in 0..<3 {
        var value = 10 + 2 * sin(Double(i) / (20 + Double(k))) + Double((i * 7_919 + k) % 11) / 11
        if i >= 2_500 && i < 2_520 { value += Double(k + 1) * 3 }
        out.append(Reading(sensor: Int32(k), timestampMs: Int64(i) * 60_000, value: value))
      }
    }
    return out
  }

  @Test(arguments: StateBackendConfiguration.Kind.allCases)
  func keyedAlertsEqualThePureDetectors(backend: StateBackendConfiguration.Kind) async throws {
    let input = Self.readings()
    var settings = DetectorSettings()
    settings.detectors = .novelty
    var expected: [Alert] = []
    var states = [NoveltyState](repeating: NoveltyState(), count: 3)
    for r in input {
      if let step = settings.novelty.observe(r.value, state: &states[Int(r.sensor)]),
        step.alert != nil
      {
        expected.append(
          Alert(
            sensor: r.sensor, timestampMs: r.timestampMs, kind: .novelty, value: r.value,
            score: 0, expectedLow: 0, expectedHigh: 0, line: -1))
      }
    }
    #expect(expected.count >= 3, "every sensor's change is an alert: \(expected.count)")
    var config = JobConfiguration()
    config.parallelism = 2
    config.batchSize = 256
    if backend == .rocksdb {
      config.stateBackend = .rocksdb(cacheBytes: 0)  // every read and write goes through the codec
    }
    let env = StreamEnvironment(configuration: config)
    let readings = env.generate(count: input.count, name: "Readings") { input[$0] }
    let alerts = AnomalyPipeline.alerts(
      from: readings.parallelism(1), settings: settings, intervalMs: 60_000,
      outOfOrderness: .seconds(5), sourceParallelism: 1
    ).collect()
    _ = try await env.execute()
    let key = { (a: Alert) in "\(a.sensor) \(a.timestampMs) \(a.kind)" }
    #expect(alerts.values.map(key).sorted() == expected.map(key).sorted())
  }
}
