import Foundation
import Testing
import Tributary
import TributaryWeb

/// The REST API and `/metrics` of a real running job, over HTTP.
@Suite(.serialized) struct JobAPITests {
  @Test(
    "a running job: rates move, checkpoint ids grow, POST savepoint is restorable, stop ends it")
  func runningJob() async throws {
    let root = try scratchDirectory("tributary-web-api")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    let records = 1_000_000
    let counts = LatestCounts()
    let env = countingJob(
      root: root, records: records, rate: 20_000, monitor: monitor, counts: counts)
    let job = Task { try await env.execute() }

    // The job graph: vertices are chains, edges carry their partitioning.
    #expect(
      try await eventually {
        let job = try await request(port: port, "/api/v1/job").json()
        return job["state"] as? String == "RUNNING"
      })
    let first = try await request(port: port, "/api/v1/job")
    #expect(first.status == 200 && first.contentType?.hasPrefix("application/json") == true)
    let graph = try first.json()
    #expect(graph["name"] as? String == "counting")
    #expect(graph["started_at"] is String)
    let vertices = try #require(graph["vertices"] as? [[String: Any]])
    #expect(vertices.map { $0["name"] as? String } == ["Numbers -> Tag", "Count", "Latest"])
    #expect(vertices.map { $0["parallelism"] as? Int } == [2, 2, 1])
    for key in [
      "records_in", "records_out", "records_in_per_second", "records_out_per_second",
      "backpressure_ratio", "watermark_ms",
    ] {
      #expect(vertices.allSatisfy { $0.keys.contains(key) }, "every vertex has \(key)")
    }
    let edges = try #require(graph["edges"] as? [[String: Any]])
    #expect(edges.count == 2)
    #expect(edges.first?["from"] as? Int == 0 && edges.first?["to"] as? Int == 1)
    #expect(edges.first?["partitioning"] as? String == "HASH")

    // Rates move: a positive source rate and a growing count.
    func sourceOut() async throws -> (records: Int, rate: Double) {
      let job = try await request(port: port, "/api/v1/job").json()
      let source = (job["vertices"] as? [[String: Any]])?.first
      return (
        source?["records_out"] as? Int ?? 0, source?["records_out_per_second"] as? Double ?? 0
      )
    }
    #expect(try await eventually { try await sourceOut().rate > 1_000 })
    let before = try await sourceOut().records
    try await Task.sleep(for: .milliseconds(600))
    #expect(try await sourceOut().records > before)

    // Checkpoint ids grow.
    func latestCheckpoint() async throws -> Int {
      let checkpoints = try await request(port: port, "/api/v1/checkpoints").json()
      return (checkpoints["latest_completed"] as? [String: Any])?["id"] as? Int ?? 0
    }
    #expect(try await eventually { try await latestCheckpoint() >= 1 })
    let earlier = try await latestCheckpoint()
    #expect(try await eventually { try await latestCheckpoint() > earlier })
    let checkpoints = try await request(port: port, "/api/v1/checkpoints").json()
    let counters = try #require(checkpoints["counts"] as? [String: Int])
    #expect(counters["completed"].map { $0 >= 2 } == true)
    let history = try #require(checkpoints["history"] as? [[String: Any]])
    let completed = try #require(history.first { $0["status"] as? String == "COMPLETED" })
    #expect((completed["duration_ms"] as? Int).map { $0 >= 0 } == true)
    #expect((completed["size_bytes"] as? Int).map { $0 > 0 } == true)
    #expect(completed.keys.contains("alignment_ms_max") && completed.keys.contains("sync_ms_max"))

    // The Prometheus exposition.
    let exposition = try await request(port: port, "/metrics")
    #expect(exposition.contentType?.hasPrefix("text/plain") == true)
    let samples = prometheusSamples(exposition.text)
    let jobLabel = ["job": "counting"]
    for (name, labels) in [
      ("tributary_records_out_total", ["operator": "Numbers", "subtask": "1"]),
      ("tributary_records_in_total", ["operator": "Count", "subtask": "0"]),
      ("tributary_records_in_total", ["operator": "Latest", "subtask": "0"]),
      ("tributary_busy_seconds_total", ["operator": "Numbers -> Tag", "subtask": "0"]),
      ("tributary_idle_seconds_total", ["operator": "Count", "subtask": "1"]),
      ("tributary_backpressure_seconds_total", ["operator": "Numbers -> Tag", "subtask": "0"]),
      ("tributary_idle", ["operator": "Count", "subtask": "0"]),
      ("tributary_watermark_milliseconds", ["operator": "Count", "subtask": "0"]),
      ("tributary_checkpoints_total", ["status": "completed"]),
      ("tributary_checkpoints_total", ["status": "failed"]),
      ("tributary_checkpoint_duration_seconds_bucket", [:]),
      ("tributary_checkpoint_size_bytes_count", [:]),
      ("tributary_checkpoint_alignment_seconds_count", ["operator": "Count", "subtask": "1"]),
      ("tributary_last_completed_checkpoint_id", [:]),
      ("tributary_restarts_total", [:]),
      ("tributary_state_entries", ["operator": "Count", "subtask": "0"]),
      ("tributary_state_bytes", ["operator": "Count", "subtask": "1"]),
    ] {
      #expect(
        sample(samples, name, labels.merging(jobLabel) { a, _ in a }) != nil,
        "exposition has \(name) \(labels)")
    }
    #expect(
      (sample(samples, "tributary_records_in_total", ["operator": "Count", "subtask": "0"]) ?? 0)
        > 0)
    // Keyed state: the 100 keys' counts, spread over the two subtasks, as of the last checkpoint.
    let stateEntries = samples.filter { $0.name == "tributary_state_entries" }
      .reduce(0) { $0 + $1.value }
    #expect(stateEntries == 100)
    // Counters grow between scrapes.
    let busyBefore = samples.filter { $0.name == "tributary_busy_seconds_total" }
      .reduce(0) { $0 + $1.value }
    #expect(
      try await eventually {
        let later = prometheusSamples(try await request(port: port, "/metrics").text)
        return later.filter { $0.name == "tributary_busy_seconds_total" }
          .reduce(0) { $0 + $1.value } > busyBefore
      })

    // A savepoint via POST: complete and durable when the answer comes.
    let savepoint = try await request("POST", port: port, "/api/v1/savepoints")
    #expect(savepoint.status == 200)
    let taken = try savepoint.json()
    let path = try #require(taken["path"] as? String)
    let id = try #require(taken["id"] as? Int)
    #expect(FileManager.default.fileExists(atPath: path + "/_metadata"))
    #expect(
      try await eventually {
        let history = try await request(port: port, "/api/v1/checkpoints").json()["history"]
        return (history as? [[String: Any]])?.contains {
          $0["id"] as? Int == id && $0["is_savepoint"] as? Bool == true
            && $0["status"] as? String == "COMPLETED"
        } == true
      })

    // Stop with a savepoint: the answer names it, the job finishes.
    let stop = try await request("POST", port: port, "/api/v1/stop")
    #expect(stop.status == 200)
    let stopID = try #require(try stop.json()["id"] as? Int)
    #expect(stopID > id)
    _ = try await job.value
    let ended = try await request(port: port, "/api/v1/job").json()
    #expect(ended["state"] as? String == "FINISHED")
    let again = try await request("POST", port: port, "/api/v1/savepoints")
    #expect(again.status == 409)
    #expect(try again.json()["error"] is String)
    #expect(try again.json()["hint"] is String)
    await server.stop()

    // The POSTed savepoint restores: a job started from it sees only the rest
    // of the input, and its counts are those of the whole input.
    let restoredCounts = LatestCounts()
    _ = try await countingJob(
      root: root, records: records, rate: 10_000_000, restorePath: path, monitor: nil,
      counts: restoredCounts
    ).execute()
    let takenAt = counts.records
    #expect(
      restoredCounts.latest == Dictionary(uniqueKeysWithValues: (0..<100).map { ($0, 10_000) }))
    #expect(restoredCounts.records < records, "resumed part-way, not from the start")
    #expect(takenAt > 0)
  }

  @Test("bad requests get JSON errors with the right status codes")
  func badRequests() async throws {
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    let missing = try await request(port: port, "/api/v1/nothing")
    #expect(missing.status == 404)
    let body = try missing.json()
    #expect((body["error"] as? String)?.contains("/api/v1/nothing") == true)
    #expect(body["hint"] is String)
    let wrongMethod = try await request("DELETE", port: port, "/api/v1/job")
    #expect(wrongMethod.status == 405)
    let getSavepoint = try await request(port: port, "/api/v1/savepoints")
    #expect(getSavepoint.status == 405)
    let noCheckpointing = try await request("POST", port: port, "/api/v1/savepoints")
    let created = try await request(port: port, "/api/v1/job").json()
    #expect(created["state"] as? String == "CREATED")
    // Before the job started there is nothing to take a savepoint of yet.
    #expect(noCheckpointing.status == 503)
    #expect(try await request(port: port, "/api/v1/config").status == 503)
    #expect(try await request(port: port, "/api/v1/checkpoints/abc").status == 400)
    #expect(try await request(port: port, "/api/v1/checkpoints/7").status == 404)
    #expect(try await request("POST", port: port, "/api/v1/exceptions").status == 405)
    await server.stop()
  }

  @Test("a failing job reports FAILED and its error; the server keeps answering")
  func failingJob() async throws {
    let root = try scratchDirectory("tributary-web-fail")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    let env = countingJob(
      root: root, records: 100_000, rate: 50_000, monitor: monitor, counts: LatestCounts(),
      failAt: 5_000)
    await #expect(throws: (any Error).self) { try await env.execute() }
    let job = try await request(port: port, "/api/v1/job").json()
    #expect(job["state"] as? String == "FAILED")
    #expect((job["error"] as? String)?.contains("injected failure at record 5000") == true)
    let savepoint = try await request("POST", port: port, "/api/v1/savepoints")
    #expect(savepoint.status == 409)
    #expect(try await request(port: port, "/metrics").status == 200)
    // The failure, root cause first, with its operator and subtask.
    let exceptions = try #require(
      try await request(port: port, "/api/v1/exceptions").json()["exceptions"] as? [[String: Any]])
    #expect(exceptions.count == 1)
    #expect(exceptions.first?["root_cause"] as? String == "injected failure at record 5000")
    #expect(exceptions.first?["operator"] as? String == "Tag")
    #expect(exceptions.first?["subtask"] is Int)
    #expect(exceptions.first?["restarted"] as? Bool == false)
    let config = try await request(port: port, "/api/v1/config").json()
    #expect(config["parallelism"] as? Int == 2)
    #expect((config["checkpointing"] as? [String: Any])?["interval_ms"] as? Int == 100)
    await server.stop()
  }
}
