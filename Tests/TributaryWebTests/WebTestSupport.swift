import Foundation
import Synchronization
import Tributary
import TributaryWeb

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A status code and body of one HTTP exchange.
struct HTTPAnswer {
  let status: Int
  let body: Data
  let contentType: String?

  var text: String { String(decoding: body, as: UTF8.self) }

  func json() throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
      throw CocoaError(.coderReadCorrupt)
    }
    return object
  }
}

/// `method` on `http://127.0.0.1:port/path`, with a generous timeout.
func request(_ method: String = "GET", port: Int, _ path: String) async throws -> HTTPAnswer {
  var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
  request.httpMethod = method
  request.timeoutInterval = 120
  let (data, response) = try await URLSession.shared.data(for: request)
  let http = response as! HTTPURLResponse
  return HTTPAnswer(
    status: http.statusCode, body: data,
    contentType: http.value(forHTTPHeaderField: "Content-Type"))
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(
  _ seconds: Double = 30, _ condition: () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + .seconds(seconds)
  while ContinuousClock.now < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return try await condition()
}

/// A fresh directory under the temporary directory.
func scratchDirectory(_ prefix: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Final running counts per key, as a keyed count's sink saw them last.
final class LatestCounts: Sendable {
  private let storage = Mutex<(latest: [Int: Int], records: Int)>(([:], 0))
  var latest: [Int: Int] { storage.withLock { $0.latest } }
  var records: Int { storage.withLock { $0.records } }
  func add(_ batch: [KeyCount]) {
    storage.withLock { s in
      for update in batch { s.latest[update.key] = update.count }
      s.records += batch.count
    }
  }
}

/// A running count of one key.
struct KeyCount: Sendable, Codable, BinaryCodable {
  var key: Int
  var count: Int
}

/// Writes batches into a ``LatestCounts``.
final class LatestCountsSink: StreamSink {
  typealias Input = KeyCount
  let counts: LatestCounts
  init(_ counts: LatestCounts) { self.counts = counts }
  func write(_ batch: [KeyCount]) throws { counts.add(batch) }
}

/// A monitored job: `records` generated at `rate` per second, keyed by
/// `i % keys`, counted, into `counts`; checkpoints every `intervalMillis`.
func countingJob(
  root: URL, records: Int, rate: Int, keys: Int = 100, intervalMillis: Int64? = 100,
  restorePath: String? = nil, monitor: JobMonitor?, counts: LatestCounts,
  failAt: Int? = nil
) -> StreamEnvironment {
  var config = JobConfiguration()
  config.jobName = "counting"
  config.parallelism = 2
  config.batchSize = 256
  config.monitor = monitor
  if let intervalMillis {
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: intervalMillis), restorePath: restorePath,
      savepoints: SavepointControl())
  }
  let env = StreamEnvironment(configuration: config)
  env.generate(count: records, ratePerSecond: Double(rate), name: "Numbers") { $0 }
    .map(name: "Tag") { i -> KeyCount in
      if let failAt, i == failAt { throw InjectedFailure(at: i) }
      return KeyCount(key: i % keys, count: 1)
    }
    .keyBy { $0.key }
    .reduce(name: "Count") { KeyCount(key: $0.key, count: $0.count + $1.count) }
    .sink(name: "Latest") { _ in LatestCountsSink(counts) }
    .parallelism(1)
  return env
}

/// The failure `countingJob(failAt:)` throws.
struct InjectedFailure: Error, CustomStringConvertible {
  let at: Int
  var description: String { "injected failure at record \(at)" }
}

/// A started server for `monitor`, on a free port.
func startServer(_ monitor: JobMonitor, _ metrics: PrometheusMetrics) async throws -> (
  JobWebServer, Int
) {
  let server = JobWebServer(monitor: monitor, metrics: metrics, port: 0)
  let port = try await server.start()
  return (server, port)
}

/// One sample line of a Prometheus text exposition.
struct PrometheusSample: Equatable {
  let name: String
  let labels: [String: String]
  let value: Double
}

/// The samples of a Prometheus text exposition (comments skipped), parsed
/// independently of the exporter: `name{a="x",b="y"} value`.
func prometheusSamples(_ text: String) -> [PrometheusSample] {
  text.split(separator: "\n").compactMap { line -> PrometheusSample? in
    guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
      let value = Double(line[line.index(after: space)...])
    else { return nil }
    let series = line[..<space]
    guard let open = series.firstIndex(of: "{") else {
      return PrometheusSample(name: String(series), labels: [:], value: value)
    }
    var labels: [String: String] = [:]
    let body = series[series.index(after: open)..<(series.lastIndex(of: "}") ?? series.endIndex)]
    var rest = Substring(body)
    while let equals = rest.firstIndex(of: "=") {
      let key = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
      let afterQuote = rest.index(equals, offsetBy: 2)
      guard let close = rest[afterQuote...].firstIndex(of: "\"") else { break }
      labels[key] = String(rest[afterQuote..<close])
      rest = rest[rest.index(after: close)...]
    }
    return PrometheusSample(name: String(series[..<open]), labels: labels, value: value)
  }
}

/// The value of the sample named `name` with exactly these `labels` (others may exist), if any.
func sample(_ samples: [PrometheusSample], _ name: String, _ labels: [String: String] = [:])
  -> Double?
{
  samples.first { sample in
    sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
  }?.value
}
