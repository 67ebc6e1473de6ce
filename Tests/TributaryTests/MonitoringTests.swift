import CoreMetrics
import Foundation
import MetricsTestKit
import Testing

@testable import Tributary

/// The monitor's pure parts: rates from cumulative counters, the checkpoint
/// history, and savepoint requests with waiters.
@Suite struct MonitoringTests {
  typealias Reading = RateSampler.Reading

  @Test func ratesAreDeltasOverTheTimeBetweenReadings() {
    var sampler = RateSampler(historyCapacity: 3)
    let second: Int64 = 1_000_000_000
    func subtask(_ recordsIn: Int64, _ out: Int64, idle: Int64 = 0, bp: Int64 = 0, wall: Int64)
      -> RateSampler.SubtaskReading
    {
      RateSampler.SubtaskReading(
        recordsIn: recordsIn, recordsOut: out, idleNanos: idle, backpressureNanos: bp,
        wallNanos: wall)
    }
    sampler.sample(
      Reading(
        vertices: [
          [subtask(0, 20, wall: 0), subtask(0, 30, wall: 0)], [subtask(100, 0, wall: 0)],
        ],
        sourceOut: 50, sinkIn: 100),
      nanos: 0, wallMillis: 1_000)
    #expect(sampler.rates[1][0] == RateSampler.SubtaskRates())
    #expect(sampler.history.isEmpty)
    // Half a second later: vertex 1 took 500 more = 1000/s; subtask 1 of
    // vertex 0 waited 0.25 s of its 0.5 s on output and 0.05 s for input.
    sampler.sample(
      Reading(
        vertices: [
          [
            subtask(0, 520, bp: second / 10, wall: second / 2),
            subtask(0, 530, idle: second / 20, bp: second / 4, wall: second / 2),
          ],
          [subtask(600, 0, idle: second / 2, wall: second / 2)],
        ],
        sourceOut: 1_050, sinkIn: 600),
      nanos: second / 2, wallMillis: 1_500)
    #expect(sampler.rates[1][0].inPerSecond == 1_000)
    #expect(sampler.rates[0][0].outPerSecond == 1_000)
    let busiest = sampler.rates[0][1]
    #expect(abs(busiest.backpressure - 0.5) < 1e-9)
    #expect(abs(busiest.idle - 0.1) < 1e-9)
    #expect(abs(busiest.busy - 0.4) < 1e-9)
    #expect(abs(sampler.rates[0][0].busy - 0.8) < 1e-9)
    #expect(sampler.rates[1][0].idle == 1 && sampler.rates[1][0].busy == 0)
    #expect(
      sampler.history.last
        == ThroughputSample(
          timeMs: 1_500, sourceRecordsPerSecond: 2_000, sinkRecordsPerSecond: 1_000))
  }

  @Test func ratiosAreClampedAndOldSamplesLeaveTheHistory() {
    var sampler = RateSampler(historyCapacity: 2)
    // Waits booked beyond the wall time (a clock read late) still give ratios in 0...1.
    let reading = { (n: Int64) in
      Reading(
        vertices: [
          [
            RateSampler.SubtaskReading(
              recordsIn: n, recordsOut: n, idleNanos: n * 2, backpressureNanos: n * 3, wallNanos: n)
          ]
        ], sourceOut: n, sinkIn: n)
    }
    for step in 0..<5 {
      sampler.sample(
        reading(Int64(step) * 1_000), nanos: Int64(step) * 1_000, wallMillis: Int64(step))
    }
    let rates = sampler.rates[0][0]
    #expect(rates.idle == 1 && rates.backpressure == 0 && rates.busy == 0)
    #expect(sampler.history.map(\.timeMs) == [3, 4])
    // A reading that does not move time forward changes nothing.
    sampler.sample(reading(9_000), nanos: 4_000, wallMillis: 9)
    #expect(sampler.history.map(\.timeMs) == [3, 4])
    // A subtask that did not run in the period has no ratios.
    let stopped = RateSampler.rates(
      now: .init(wallNanos: 10), before: .init(wallNanos: 10), seconds: 1)
    #expect(stopped == RateSampler.SubtaskRates())
  }

  @Test func recordsCountersReachTheRegistryAtEachSampleAndNeverTwice() throws {
    let metrics = TestMetrics()
    let monitor = JobMonitor(metricsFactory: metrics)
    let meter = monitor.meter(node: 0, subtask: 1)
    meter.received(7)
    meter.emitted(5)
    meter.received(3)
    monitor.sample()
    let recordsIn = try metrics.expectCounter(
      "tributary_records_in_total", [("job", "job"), ("operator", "operator0"), ("subtask", "1")])
    let recordsOut = try metrics.expectCounter(
      "tributary_records_out_total", [("job", "job"), ("operator", "operator0"), ("subtask", "1")])
    #expect(recordsIn.totalValue == 10)
    #expect(recordsOut.totalValue == 5)
    // A sample with nothing new adds nothing; the next batch is added once.
    monitor.sample()
    meter.received(4)
    monitor.sample()
    monitor.sample()
    #expect(recordsIn.totalValue == 14)
    #expect(recordsOut.totalValue == 5)
  }

  @Test func taskWallTimeSpansRunsIncludingOneStartedAtTheClocksOrigin() {
    let meter = TaskMeter(dimensions: [], factory: NOOPMetricsHandler.instance)
    #expect(meter.wallNanos(at: 50) == 0, "not started")
    // A run starting at 0 or before (the first reading of a clock) is running.
    meter.started(nanos: -10)
    #expect(meter.wallNanos(at: 90) == 100)
    meter.ended(nanos: 90)
    #expect(meter.wallNanos(at: 500) == 100)
    meter.started(nanos: 1_000)
    #expect(meter.wallNanos(at: 1_030) == 130)
    #expect(MonitorClock.nanos() >= 0)
  }

  @Test func aSourceChainReportsTheWatermarksItProduces() async throws {
    let monitor = JobMonitor()
    var config = JobConfiguration()
    config.monitor = monitor
    let env = StreamEnvironment(configuration: config)
    env.generate(count: 10_000, name: "Numbers") { Int64($0) }
      .assignTimestampsAndWatermarks(.monotonic { $0 })
      .keyBy { $0 % 4 }
      .reduce(name: "Sum") { $0 + $1 }
      .sink(name: "Out") { _ in }
    _ = try await env.execute()
    let vertices = monitor.status.vertices
    #expect(vertices.count == 2)
    // The source chain (source and assigner) has no input watermark, but
    // produced event time; the keyed vertex received it.
    #expect(vertices[0].watermarkMs != nil && vertices[0].subtasks[0].watermarkMs != nil)
    #expect(vertices[1].watermarkMs != nil)
  }

  @Test func historyCountsEveryCheckpointAndKeepsTheLastOnes() throws {
    var history = CheckpointHistory(capacity: 2)
    history.triggered(id: 1, isSavepoint: false, wallMillis: 0)
    history.completed(
      id: 1, durationMillis: 12, sizeBytes: 4_096, alignmentMillisMax: 1, syncMillisMax: 2,
      asyncMillisMax: 3, path: nil)
    history.triggered(id: 2, isSavepoint: true, wallMillis: 10)
    history.failed(id: 2, reason: "declined")
    history.failed(id: 2, reason: "twice")  // ignored: already failed
    history.completed(
      id: 2, durationMillis: 1, sizeBytes: 1, alignmentMillisMax: 0, syncMillisMax: 0,
      asyncMillisMax: 0, path: nil)
    history.triggered(id: 3, isSavepoint: false, wallMillis: 20)
    var status = history.status
    #expect(status.counts == CheckpointCounts(completed: 1, failed: 1, inProgress: 1))
    #expect(status.history.map(\.id) == [2, 3])
    #expect(status.history[0].failure == "declined")
    #expect(history.detail(id: 1) == nil, "left the window")
    history.acknowledged(
      id: 3,
      subtasks: [
        CheckpointSubtaskStatus(
          vertex: 0, name: "Source", subtask: 0, alignmentMs: 0, syncMs: 1, asyncMs: 2,
          sizeBytes: 10)
      ])
    #expect(history.detail(id: 3)?.subtasks.map(\.asyncMs) == [2])
    #expect(history.detail(id: 2)?.subtasks == [])
    #expect(status.latestCompleted?.id == 1)
    #expect(status.latestCompleted?.sizeBytes == 4_096)
    history.runEnded()
    status = history.status
    #expect(status.counts == CheckpointCounts(completed: 1, failed: 2, inProgress: 0))
    #expect(CheckpointHistory.iso8601(1_733_313_600_123) == "2024-12-04T12:00:00.123Z")
    // Every field is in the JSON, absent ones as null.
    let json = try #require(
      String(data: try JSONEncoder().encode(status.history[1]), encoding: .utf8))
    #expect(json.contains("\"size_bytes\":null") && json.contains("\"trigger_time\""))
  }

  @Test func triggeredSavepointsCompleteOrFailTheirWaiter() async throws {
    let control = SavepointControl()
    let first = Task { try await control.triggerSavepoint() }
    while control.pendingRequestCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
    let second = Task { try await control.triggerSavepoint(stopAfter: true) }
    var requests: [SavepointControl.Request] = []
    while requests.count < 2 {
      if let request = control.takeRequest() {
        requests.append(request)
      } else {
        try await Task.sleep(for: .milliseconds(1))
      }
    }
    let stopping = try #require(requests.first { $0.stop })
    let plain = try #require(requests.first { !$0.stop })
    control.written("/ck/savepoints/sp-4", id: 4, request: plain)
    control.failed(id: 5, reason: "declined", request: stopping)
    #expect(try await first.value == CompletedSavepoint(id: 4, path: "/ck/savepoints/sp-4"))
    await #expect(throws: SavepointError.failed(id: 5, reason: "declined")) {
      try await second.value
    }
    // A waiter still pending when the job ends learns it.
    let third = Task { try await control.triggerSavepoint() }
    while control.pendingRequestCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
    control.jobEnded()
    await #expect(throws: SavepointError.jobEnded) { try await third.value }
  }
}
