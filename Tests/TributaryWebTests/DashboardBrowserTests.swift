import Foundation
import Synchronization
import Testing
import Tributary
import TributaryWeb

/// The dashboard at `GET /`, in a real browser: headless Chromium loads the
/// page of a running job (see ``Chromium``). Each browser test saves a
/// screenshot in its temporary directory; set `TRIBUTARY_DASHBOARD_SCREENSHOTS`
/// to a directory to keep them there.
@Suite(.serialized) struct DashboardBrowserTests {
  /// The text of the element with `id` in a dumped DOM, tags stripped.
  static func text(in dom: String, id: String) -> String? {
    guard let open = dom.range(of: "id=\"\(id)\"") else { return nil }
    let rest = dom[open.upperBound...]
    guard let start = rest.firstIndex(of: ">") else { return nil }
    return String(rest[rest.index(after: start)...].prefix { $0 != "<" })
  }

  /// The number shown in the element with `id` of a dumped DOM.
  static func number(in dom: String, id: String) -> Int? {
    text(in: dom, id: id).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  }

  /// `text` as the DOM serialises it in an element's content.
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  /// Keeps a copy of `png` in the directory `TRIBUTARY_DASHBOARD_SCREENSHOTS` names, if set.
  static func keep(_ png: URL) throws {
    guard let directory = ProcessInfo.processInfo.environment["TRIBUTARY_DASHBOARD_SCREENSHOTS"]
    else { return }
    let copy = URL(fileURLWithPath: directory).appendingPathComponent(png.lastPathComponent)
    try? FileManager.default.removeItem(at: copy)
    try FileManager.default.copyItem(at: png, to: copy)
  }

  static func isPNG(_ data: Data) -> Bool {
    data.starts(with: [0x89, 0x50, 0x4E, 0x47]) && data.count > 10_000
  }

  @Test("GET / serves one self-contained page; other methods get 405")
  func pageIsSelfContained() async throws {
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    let page = try await request(port: port, "/")
    await #expect(try request("POST", port: port, "/").status == 405)
    await server.stop()
    #expect(page.status == 200)
    #expect(page.contentType?.hasPrefix("text/html") == true)
    for external in ["src=\"http", "href=\"http", "@import", "url(http", "<link", "src=\"//"] {
      #expect(!page.text.contains(external), "no external resource (\(external))")
    }
    for id in ["checkpoints-completed", "checkpoints-failed", "checkpoints-in-progress", "graph"] {
      #expect(page.text.contains("id=\"\(id)\""))
    }
    for endpoint in ["api/v1/job", "api/v1/checkpoints", "api/v1/throughput", "api/v1/exceptions"] {
      #expect(page.text.contains("\"\(endpoint)\""), "the page reads \(endpoint)")
    }
  }

  @Test("a browser that does not end is killed at its time limit, with its processes")
  func browserTimeLimit() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard-limit")
    defer { try? FileManager.default.removeItem(at: root) }
    let profile = root.appendingPathComponent("p1")
    let started = ContinuousClock.now
    // With a DevTools port and nothing to dump, headless Chromium runs until killed.
    _ = try await Chromium.run(
      "about:blank", profile: profile, ["--remote-debugging-port=0"], timeout: 3)
    #expect(ContinuousClock.now - started < .seconds(30))
    #expect(!FileManager.default.fileExists(atPath: profile.path), "the profile is removed")
  }

  @Test("a running job: every vertex shown, the completed-checkpoint count rises between loads")
  func runningJob() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    let env = countingJob(
      root: root, records: 100_000_000, rate: 20_000, intervalMillis: 200, monitor: monitor,
      counts: LatestCounts())
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    #expect(await eventually { monitor.checkpoints.counts.completed >= 1 })
    let url = "http://127.0.0.1:\(port)/"

    let first = try await Chromium.dumpDOM(url, profile: root.appendingPathComponent("p1"))
    let names = monitor.status.vertices.map(\.name)
    #expect(names == ["Numbers -> Tag", "Count", "Latest"])
    for name in names {
      #expect(first.contains(Self.escaped(name)), "the page shows vertex \(name)")
    }
    #expect(first.components(separatedBy: "data-vertex=").count - 1 >= 2 * names.count)
    #expect(first.contains("HASH"), "the edge into the keyed count is labelled HASH")
    #expect(Self.text(in: first, id: "job-state") == "RUNNING")
    let earlier = try #require(Self.number(in: first, id: "checkpoints-completed"))
    #expect(earlier >= 1)
    #expect(Self.number(in: first, id: "checkpoints-failed") == 0)
    #expect(Self.number(in: first, id: "checkpoints-in-progress") != nil)
    #expect(first.contains("Completed <b id=\"checkpoints-completed\">"))
    // A fixed interval: nothing about an adaptive interval (its element stays empty).
    #expect(first.contains("<div id=\"checkpoint-interval\"></div>"))

    #expect(await eventually { monitor.checkpoints.counts.completed > earlier })
    let second = try await Chromium.dumpDOM(url, profile: root.appendingPathComponent("p2"))
    let later = try #require(Self.number(in: second, id: "checkpoints-completed"))
    #expect(later > earlier, "the checkpoint count rises between two loads")

    let png = root.appendingPathComponent("dashboard.png")
    try await Chromium.screenshot(
      url + "#vertex=1", profile: root.appendingPathComponent("p3"), to: png)
    #expect(Self.isPNG(try Data(contentsOf: png)), "a PNG screenshot")
    try Self.keep(png)
    job.cancel()
    _ = try? await job.value
    await server.stop()
  }

  @Test("a failed job: FAILED at the top with its error, and the exception listed")
  func failedJob() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard-failed")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    let env = countingJob(
      root: root, records: 100_000, rate: 50_000, monitor: monitor, counts: LatestCounts(),
      failAt: 5_000)
    await #expect(throws: (any Error).self) { try await env.execute() }
    let url = "http://127.0.0.1:\(port)/"
    let dom = try await Chromium.dumpDOM(url, profile: root.appendingPathComponent("p1"))
    let png = root.appendingPathComponent("dashboard-failed.png")
    try await Chromium.screenshot(url, profile: root.appendingPathComponent("p2"), to: png)
    #expect(Self.isPNG(try Data(contentsOf: png)), "a PNG screenshot")
    try Self.keep(png)
    await server.stop()
    #expect(Self.text(in: dom, id: "job-state") == "FAILED")
    let banner = try #require(dom.range(of: "id=\"job-error\"").map { dom[$0.upperBound...] })
    #expect(banner.prefix(600).contains("injected failure at record 5000"), "the error is shown")
    #expect(dom.contains("class=\"exception\""), "the exception is listed")
    #expect(dom.contains("this ended the job"))
    #expect(
      dom.range(of: "<button id=\"savepoint-button\" type=\"button\" disabled=\"\"") != nil,
      "no savepoints of a failed job")
  }

  @Test("a job that restarted: RUNNING, the last failure shown, the exception marked restarted")
  func restartedJob() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard-restarted")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    let env = Self.keyedCountJob(root: root, monitor: monitor, failOnceAt: 3_000)
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    #expect(
      await eventually {
        let status = monitor.status
        return status.restarts == 1 && status.state == .running
      })
    let dom = try await Chromium.dumpDOM(
      "http://127.0.0.1:\(port)/", profile: root.appendingPathComponent("p1"))
    #expect(Self.text(in: dom, id: "job-state") == "RUNNING")
    #expect(dom.contains("1 restart "), "the header counts the restart")
    let banner = try #require(
      dom.range(of: "class=\"banner restarted\"").map { dom[$0.upperBound...] })
    #expect(banner.prefix(600).contains("injected failure at record 3000"))
    let exception = try #require(
      dom.range(of: "<li class=\"exception\">").map { dom[$0.upperBound...].prefix(1_000) })
    #expect(
      exception.hasPrefix("<div class=\"root\">injected failure at record 3000</div>"),
      "the root cause comes first")
    #expect(exception.contains("in Tag (subtask "))
    #expect(exception.contains("the job restarted"))
    job.cancel()
    _ = try? await job.value
    await server.stop()
  }

  /// A keyed count like ``countingJob``, under a restart strategy, checkpointed
  /// with `settings`; its "Tag" operator throws once at record `failOnceAt`
  /// (then the job restarts and goes on), its sink's snapshots take
  /// `slowSnapshotMillis`.
  static func keyedCountJob(
    root: URL, monitor: JobMonitor, failOnceAt: Int? = nil, slowSnapshotMillis: Int = 0,
    settings: CheckpointSettings = CheckpointSettings(intervalMillis: 100)
  ) -> StreamEnvironment {
    let failed = FailOnce()
    var config = JobConfiguration()
    config.jobName = "counting"
    config.parallelism = 2
    config.monitor = monitor
    config.restartStrategy = .fixedDelay(attempts: 3, delay: .milliseconds(100))
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: settings)
    let env = StreamEnvironment(configuration: config)
    let counts = LatestCounts()
    env.generate(count: 100_000_000, ratePerSecond: 20_000, name: "Numbers") { $0 }
      .map(name: "Tag") { i -> KeyCount in
        if i == failOnceAt, failed.now() { throw InjectedFailure(at: i) }
        return KeyCount(key: i % 100, count: 1)
      }
      .keyBy { $0.key }
      .reduce(name: "Count") { KeyCount(key: $0.key, count: $0.count + $1.count) }
      .sink(name: "Latest") { _ in SlowSnapshotSink(counts, millis: slowSnapshotMillis) }
      .parallelism(1)
    return env
  }

  /// `ms` as the dashboard writes a duration under a minute: "250 ms", "1.50 s", "12.5 s".
  static func duration(ms: Int) -> String {
    if abs(ms) < 1_000 { return "\(ms) ms" }
    return String(format: abs(ms) < 10_000 ? "%.2f s" : "%.1f s", Double(ms) / 1_000)
  }

  @Test(
    "an adaptive interval: the interval in force, the objective, the predicted recovery and whether it is met"
  )
  func adaptiveInterval() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    // 1 ms cannot be met even at the minimum interval; 30 s is met.
    for (objective, met) in [(Duration.milliseconds(1), false), (.seconds(30), true)] {
      let root = try scratchDirectory("tributary-dashboard-adaptive")
      defer { try? FileManager.default.removeItem(at: root) }
      let metrics = PrometheusMetrics()
      let monitor = JobMonitor(metricsFactory: metrics.factory)
      let (server, port) = try await startServer(monitor, metrics)
      defer { Task { await server.stop() } }
      var config = JobConfiguration()
      config.jobName = "adaptive"
      config.parallelism = 2
      config.monitor = monitor
      config.checkpointing = CheckpointingConfiguration(
        directory: root.appendingPathComponent("checkpoints").path,
        recoveryObjective: RecoveryObjective(
          objective, minimumInterval: .milliseconds(100), maximumInterval: .milliseconds(400)))
      let env = StreamEnvironment(configuration: config)
      env.generate(count: 100_000_000, ratePerSecond: 20_000, name: "Numbers") { $0 }
        .keyBy { $0 % 100 }
        .reduce(name: "Sum") { $0 + $1 }
        .sink(name: "Out") { _ in }
      let job = Task { try await env.execute() }
      defer { job.cancel() }
      #expect(
        await eventually(60) {
          guard let interval = monitor.checkpoints.interval else { return false }
          return interval.predictedRecoveryMs != nil && interval.objectiveMet == met
        })
      let page = try await DevToolsPage(
        url: "http://127.0.0.1:\(port)/", profile: root.appendingPathComponent("profile"))
      defer { page.close() }
      let shown = try await page.waitFor(
        "(document.getElementById('predicted-recovery') || {}).textContent !== undefined && "
          + "document.getElementById('predicted-recovery').textContent !== '–'")
      #expect(shown != nil, "the page shows the adaptive interval with a prediction")
      // What the page rendered and the API answer it rendered it from, read at once.
      let json = try await page.evaluate(
        """
        JSON.stringify({ api: window.tributary.ui.checkpoints.interval,
          text: Object.fromEntries(["interval-in-force", "recovery-objective",
            "predicted-recovery", "objective-status", "checkpoint-interval"].map(
              (id) => [id, document.getElementById(id).textContent])) })
        """)
      let encoded = try #require(json as? String)
      let decoded = try JSONSerialization.jsonObject(with: Data(encoded.utf8))
      let object = try #require(decoded as? [String: Any])
      let api = try #require(object["api"] as? [String: Any])
      let text = try #require(object["text"] as? [String: String])
      let intervalMs = try #require(api["interval_ms"] as? Int)
      let predictedMs = try #require(api["predicted_recovery_ms"] as? Int)
      #expect(api["recovery_objective_ms"] as? Int == (met ? 30_000 : 1))
      #expect(api["objective_met"] as? Bool == met)
      #expect((100...400).contains(intervalMs))
      if !met { #expect(intervalMs == 100, "an objective that cannot be met runs at the minimum") }
      #expect(text["interval-in-force"] == Self.duration(ms: intervalMs))
      #expect(text["recovery-objective"] == (met ? "30.0 s" : "1 ms"))
      #expect(predictedMs < 60_000)
      #expect(text["predicted-recovery"] == Self.duration(ms: predictedMs))
      #expect(
        text["objective-status"]
          == (met ? "objective met" : "objective not met: running at the minimum interval"))
      #expect(text["checkpoint-interval"]?.hasPrefix("Interval ") == true)
      let png = root.appendingPathComponent("dashboard-adaptive-\(met ? "met" : "missed").png")
      try await page.screenshot().write(to: png)
      #expect(Self.isPNG(try Data(contentsOf: png)))
      try Self.keep(png)
      job.cancel()
      _ = try? await job.value
      await server.stop()
    }
  }

  @Test("failed checkpoints: counted, drawn red, listed with their reason")
  func failedCheckpoints() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard-timeouts")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    // The sink's snapshot takes 30 ms, checkpoints time out after 10: they
    // fail, and the job tolerates that.
    let env = Self.keyedCountJob(
      root: root, monitor: monitor, slowSnapshotMillis: 30,
      settings: CheckpointSettings(
        intervalMillis: 50, timeoutMillis: 10, tolerableConsecutiveFailures: 1_000_000))
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    #expect(await eventually { monitor.checkpoints.counts.failed >= 2 })
    let dom = try await Chromium.dumpDOM(
      "http://127.0.0.1:\(port)/", profile: root.appendingPathComponent("p1"))
    let png = root.appendingPathComponent("dashboard-failed-checkpoints.png")
    try await Chromium.screenshot(
      "http://127.0.0.1:\(port)/", profile: root.appendingPathComponent("p2"), to: png,
      windowSize: "1280,1200")
    #expect(Self.isPNG(try Data(contentsOf: png)), "a PNG screenshot")
    try Self.keep(png)
    job.cancel()
    _ = try? await job.value
    await server.stop()
    #expect((Self.number(in: dom, id: "checkpoints-failed") ?? 0) >= 2)
    let reason = try #require(monitor.checkpoints.history.first { $0.status == .failed }?.failure)
    let row = try #require(
      dom.range(of: "<tr class=\"clickable failed\"").map { dom[$0.lowerBound...].prefix(2_000) })
    #expect(row.contains("FAILED"))
    #expect(dom.contains(Self.escaped(reason)), "the reason is shown: \(reason)")
    #expect(dom.contains("fill=\"#d9534f\""), "a red bar")
  }

  @Test(
    "real clicks: a vertex shows its subtasks, a checkpoint its timings, Savepoint and Stop write savepoints"
  )
  func clicks() async throws {
    try #require(Chromium.missing == nil, "\(Chromium.missing ?? "")")
    let root = try scratchDirectory("tributary-dashboard-clicks")
    defer { try? FileManager.default.removeItem(at: root) }
    let metrics = PrometheusMetrics()
    let monitor = JobMonitor(metricsFactory: metrics.factory)
    let (server, port) = try await startServer(monitor, metrics)
    defer { Task { await server.stop() } }
    let env = countingJob(
      root: root, records: 100_000_000, rate: 20_000, intervalMillis: 300, monitor: monitor,
      counts: LatestCounts())
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    #expect(await eventually { monitor.checkpoints.counts.completed >= 2 })
    let page = try await DevToolsPage(
      url: "http://127.0.0.1:\(port)/", profile: root.appendingPathComponent("profile"))
    defer { page.close() }

    let ready =
      "document.querySelectorAll('.vertex').length === 3 && "
      + "!document.getElementById('savepoint-button').disabled"
    #expect(try await page.waitFor(ready) != nil, "the graph and the enabled buttons")

    // A vertex: its two subtasks.
    try await page.click(".vertex[data-vertex='1']")
    let subtasks = try await page.waitFor(
      "document.querySelectorAll('#subtasks tr.subtask').length")
    #expect(subtasks as? Int == 2, "the Count vertex has two subtasks")

    // A completed checkpoint: every subtask's timings (2 + 2 + 1 subtasks).
    try await page.click("#checkpoint-history tr:not(.failed)[data-checkpoint]")
    let rows = try await page.waitFor(
      "document.querySelectorAll('#checkpoint-detail tr.checkpoint-subtask').length")
    #expect(rows as? Int == 5)

    // The Savepoint button: a savepoint directory on disk, its path shown.
    try await page.click("#savepoint-button")
    let path = try await page.waitFor(
      "document.getElementById('control-result').dataset.path || ''", seconds: 60)
    let directory = try #require(path as? String, "the page shows the savepoint's path")
    #expect(FileManager.default.fileExists(atPath: directory + "/_metadata"))
    #expect(directory.hasPrefix(root.path))
    let shown = try await page.evaluate("document.getElementById('control-result').textContent")
    #expect((shown as? String)?.hasPrefix("Savepoint ") == true)

    let png = root.appendingPathComponent("dashboard-clicks.png")
    try await page.screenshot().write(to: png)
    #expect(Self.isPNG(try Data(contentsOf: png)))
    try Self.keep(png)

    // "Stop with savepoint" asks for a second click, then stops the job.
    #expect(try await page.waitFor("!document.getElementById('stop-button').disabled") != nil)
    try await page.click("#stop-button")
    let armed = try await page.evaluate("document.getElementById('stop-button').textContent")
    #expect(armed as? String == "Click again to stop the job")
    #expect(monitor.status.state == .running, "one click does not stop the job")
    try await page.click("#stop-button")
    let stopPath = try await page.waitFor(
      "document.getElementById('control-result').dataset.path || ''", seconds: 60)
    let stopDirectory = try #require(stopPath as? String)
    #expect(FileManager.default.fileExists(atPath: stopDirectory + "/_metadata"))
    _ = try await job.value
    let finished = try await page.waitFor(
      "document.getElementById('job-state').textContent === 'FINISHED'")
    #expect(finished != nil, "the page shows FINISHED after the stop")
    let stopped = try await page.evaluate("document.getElementById('control-result').textContent")
    #expect((stopped as? String)?.hasPrefix("Stopped with savepoint ") == true)

    // The process gone (here: its server), the page says so and keeps the last state.
    await server.stop()
    let offline = try await page.waitFor("document.querySelector('.banner.offline') !== null")
    #expect(offline != nil, "the page notices that the job process does not answer")
    let state = try await page.evaluate("document.getElementById('job-state').textContent")
    #expect(state as? String == "FINISHED")
  }
}

/// True the first time it is asked, then false. Thread-safe.
final class FailOnce: Sendable {
  private let done = Atomic(false)

  func now() -> Bool { !done.exchange(true, ordering: .relaxed) }
}

/// Like ``LatestCountsSink``, but its snapshots take `millis` (a slow sink).
final class SlowSnapshotSink: StreamSink {
  typealias Input = KeyCount
  let counts: LatestCounts
  let millis: Int

  init(_ counts: LatestCounts, millis: Int) {
    self.counts = counts
    self.millis = millis
  }

  func write(_ batch: [KeyCount]) throws { counts.add(batch) }

  func snapshotState(checkpoint: Int64) throws -> [UInt8]? {
    if millis > 0 { Thread.sleep(forTimeInterval: Double(millis) / 1_000) }
    return nil
  }
}
