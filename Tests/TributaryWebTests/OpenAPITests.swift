import Foundation
import Synchronization
import Testing
import Tributary

@testable import TributaryWeb

/// `GET /api/v1/openapi.json` describes what the server does: real answers of
/// a running job (which fails once and restarts) are valid against its
/// schemas, errors too, and every route is described.
@Suite(.serialized) struct OpenAPITests {
  /// Fails the first time record `at` passes, never again.
  final class FailOnce: Sendable {
    let at: Int
    private let failed = Atomic<Bool>(false)
    init(at: Int) { self.at = at }
    func check(_ i: Int) throws {
      if i == at, !failed.exchange(true, ordering: .relaxed) { throw InjectedFailure(at: i) }
    }
  }

  @Test("real answers match the published schemas")
  func answersMatchTheDocument() async throws {
    let root = try scratchDirectory("tributary-openapi")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    var stopped = false
    defer { if !stopped { Task { await server.stop() } } }

    let document = try #require(
      try JSONSerialization.jsonObject(
        with: try await request(port: port, "/api/v1/openapi.json").body) as? [String: Any])
    #expect(document["openapi"] as? String == "3.0.3")
    let validator = SchemaValidator(document: document)

    // Every route is described with its method, and nothing else is.
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    let described = Set(
      paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
    let served = Set(JobRoutes.endpoints.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
    #expect(described == served)

    func check(
      _ path: String, method: String = "GET", as documented: String? = nil, status: Int = 200
    ) async throws {
      let answer = try await request(method, port: port, path)
      #expect(answer.status == status, "\(method) \(path)")
      let schema = try #require(
        validator.responseSchema(method, documented ?? path, status: status),
        "\(method) \(documented ?? path) documents \(status)")
      let problems = validator.problems(try JSONValue.parse(answer.body), against: schema)
      #expect(problems.isEmpty, "\(method) \(path): \(problems.joined(separator: "; "))")
    }

    // Before the job starts.
    try await check("/api/v1/job")
    try await check("/api/v1/config", status: 503)
    try await check("/api/v1/savepoints", method: "POST", status: 503)

    var config = JobConfiguration()
    config.jobName = "openapi"
    config.parallelism = 2
    config.batchSize = 256
    config.monitor = monitor
    config.restartStrategy = .fixedDelay(attempts: 2, delay: .milliseconds(200))
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 100), savepoints: SavepointControl(),
      // An adaptive interval, so /checkpoints shows its `interval` object.
      recoveryObjective: RecoveryObjective(
        .seconds(5), minimumInterval: .milliseconds(100), maximumInterval: .milliseconds(300)))
    let env = StreamEnvironment(configuration: config)
    let failOnce = FailOnce(at: 30_000)
    env.generate(count: 400_000, ratePerSecond: 40_000, name: "Numbers") { $0 }
      .map(name: "Tag") { i -> KeyCount in
        try failOnce.check(i)
        return KeyCount(key: i % 50, count: 1)
      }
      .keyBy { $0.key }
      .reduce(name: "Count") { KeyCount(key: $0.key, count: $0.count + $1.count) }
      .sink(name: "Out") { _ in }
    let job = Task { try await env.execute() }
    defer { job.cancel() }

    // Running again after the restart, with completed checkpoints.
    #expect(
      await eventually(60) {
        let status = monitor.status
        return status.restarts == 1 && status.state == .running
          && (monitor.checkpoints.latestCompleted?.id ?? 0) > 0
      })
    try await check("/api/v1/job")
    try await check("/api/v1/checkpoints")
    try await check("/api/v1/config")
    try await check("/api/v1/exceptions")
    try await check("/api/v1/throughput")
    let latest = try #require(monitor.checkpoints.latestCompleted?.id)
    try await check("/api/v1/checkpoints/\(latest)", as: "/api/v1/checkpoints/{id}")
    try await check("/api/v1/checkpoints/x", as: "/api/v1/checkpoints/{id}", status: 400)
    try await check("/api/v1/checkpoints/999999", as: "/api/v1/checkpoints/{id}", status: 404)
    let exceptions = monitor.exceptions
    #expect(exceptions.first?.restarted == true)
    #expect(exceptions.first?.rootCause == "injected failure at record 30000")

    // Savepoints: one at a time, then stop.
    try await check("/api/v1/savepoints", method: "POST")
    try await check("/api/v1/stop", method: "POST")
    _ = try await job.value
    try await check("/api/v1/savepoints", method: "POST", status: 409)
    try await check("/api/v1/job")

    // Unknown paths and wrong methods answer the documented error object.
    let errorSchema: [String: Any] = ["$ref": "#/components/schemas/Error"]
    for (method, path, status) in [
      ("GET", "/api/v1/nothing", 404), ("DELETE", "/api/v1/job", 405),
      ("GET", "/api/v1/stop", 405),
    ] {
      let answer = try await request(method, port: port, path)
      #expect(answer.status == status)
      #expect(validator.problems(try JSONValue.parse(answer.body), against: errorSchema).isEmpty)
    }
    stopped = true
    await server.stop()
  }

  @Test("the schema checker finds what does not match")
  func validatorRejectsMismatches() throws {
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
    let validator = SchemaValidator(document: document)
    let edge: [String: Any] = ["$ref": "#/components/schemas/Edge"]
    let good = #"{"from": 0, "to": 1, "partitioning": "HASH", "side_output": null}"#
    #expect(validator.problems(try JSONValue.parse(Data(good.utf8)), against: edge).isEmpty)
    for bad in [
      #"{"from": 0, "to": 1, "partitioning": "HASH"}"#,  // missing field
      #"{"from": 0, "to": 1, "partitioning": "ZIGZAG", "side_output": null}"#,  // not in enum
      #"{"from": 0.5, "to": 1, "partitioning": "HASH", "side_output": null}"#,  // not an integer
      #"{"from": true, "to": 1, "partitioning": "HASH", "side_output": null}"#,  // a boolean
      #"{"from": 0, "to": 1, "partitioning": "HASH", "side_output": null, "x": 1}"#,  // extra
      #"{"from": null, "to": 1, "partitioning": "HASH", "side_output": null}"#,  // not nullable
    ] {
      #expect(
        !validator.problems(try JSONValue.parse(Data(bad.utf8)), against: edge).isEmpty, "\(bad)")
    }
  }
}
