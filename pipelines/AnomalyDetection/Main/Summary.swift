import AnomalyDetectionCore
import Foundation
import Tributary

/// The end-of-run summary: throughput of this run, then the committed alerts
/// (of all runs that wrote to the output directory, so a resumed job reports
/// its whole result) by kind, scored against the injected truth or the labels.
struct Summary {
  let source: Source
  let outputDir: String
  let labelsPath: String?
  let processed: Int
  let elapsed: Duration
  let checkpoints: CheckpointReport?

  /// A committed alert as read back from the output.
  struct CommittedAlert {
    var key: String
    var timestamp: String
    var eventTimeMs: Int64
    var kind: String
  }

  /// Every committed alert in `directory` (`*.jsonl`, never in-progress files).
  static func committedAlerts(in directory: String) throws -> [CommittedAlert] {
    var alerts: [CommittedAlert] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    where name.hasSuffix(".jsonl") {
      let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
      for line in text.split(separator: "\n") {
        guard
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let key = object["key"] as? String, let timestamp = object["timestamp"] as? String,
          let time = (object["event_time_ms"] as? NSNumber)?.int64Value,
          let kind = object["kind"] as? String
        else { continue }
        alerts.append(CommittedAlert(key: key, timestamp: timestamp, eventTimeMs: time, kind: kind))
      }
    }
    return alerts
  }

  func print() throws {
    let alerts = try Self.committedAlerts(in: outputDir)
    let seconds = elapsed / .seconds(1)
    Swift.print("\nsummary")
    Swift.print(
      String(
        format: "  readings processed: %@ in %.2f s (%@ readings/s)", formatCount(processed),
        seconds, formatCount(Int(Double(processed) / max(seconds, 1e-9)))))
    if let checkpoints {
      Swift.print(
        "  checkpoints: \(checkpoints.completed) completed, \(checkpoints.failed) failed, "
          + "duration p50 \(checkpoints.durationMillisP50.map { "\($0) ms" } ?? "–"), "
          + "max \(checkpoints.durationMillisMax.map { "\($0) ms" } ?? "–"), "
          + "longest pause \(checkpoints.syncMillisMax.map { "\($0) ms" } ?? "–")")
    }
    var byKind: [String: Int] = [:]
    for alert in alerts { byKind[alert.kind, default: 0] += 1 }
    let kinds = AlertKind.allCases.filter { byKind[$0.description] != nil }
      .map { "\($0): \(byKind[$0.description] ?? 0)" }
    Swift.print("  alerts committed: \(alerts.count) (\(kinds.joined(separator: ", ")))")
    Swift.print("  output: \(outputDir)/*.jsonl")
    switch source {
    case .generated(let generator):
      let evaluation = TruthEvaluation(
        alerts: alerts.map { (Int32($0.key.dropFirst("sensor-".count)) ?? -1, $0.eventTimeMs) },
        truth: generator.truth, slackMs: generator.intervalMs, graceMs: 3_600_000)
      Swift.print(
        String(
          format: "  against the injected truth: precision %.1f%% (%d of %d alerts), "
            + "recall %.1f%% (%d of %d anomalies)",
          100 * evaluation.precision, evaluation.matchingAlerts, evaluation.alerts,
          100 * evaluation.recall, evaluation.found, evaluation.anomalies))
      let perKind = AlertKind.allCases.compactMap { kind -> String? in
        guard let entry = evaluation.byKind[kind] else { return nil }
        return "\(kind) \(entry.found)/\(entry.injected)"
      }
      Swift.print("  found by injected kind: \(perKind.joined(separator: ", "))")
    case .jetStream:
      break
    case .files(let input):
      Swift.print(
        "  dead letters: \(input.deadLetters.count) (\(outputDir)/dead-letters.tsv)")
      if let labelsPath {
        let labels = try NABLabels(path: labelsPath)
        let scores = Self.score(input: input, alerts: alerts, labels: labels)
        Swift.print(Self.table(scores))
      }
    }
  }

  /// NAB scores of every input file that has labels.
  static func score(input: NABInput, alerts: [CommittedAlert], labels: NABLabels)
    -> [NABFileScore]
  {
    var alertTimes: [String: Set<Int64>] = [:]
    for alert in alerts {
      if let time = Timestamps.parse(alert.timestamp) {
        alertTimes[alert.key, default: []].insert(time)
      }
    }
    var scores: [NABFileScore] = []
    for (k, key) in input.keys.enumerated() {
      guard let windows = labels.windows[key] else { continue }
      let rows = input.rows[k].map(\.timeMs)
      let times = alertTimes[key] ?? []
      let alertRows = Set(rows.indices.filter { times.contains(rows[$0]) })
      scores.append(NABScorer.score(key: key, rows: rows, alertRows: alertRows, windows: windows))
    }
    return scores
  }

  /// The per-file table (Markdown) with totals and the normalised score.
  static func table(_ scores: [NABFileScore]) -> String {
    var lines = [
      "| file | rows | windows | hit | first alert before window end (h) | false positives | raw score |",
      "|---|---:|---:|---:|---|---:|---:|",
    ]
    var windows = 0
    var hits = 0
    var fps = 0
    for s in scores {
      let hit = s.windows.filter(\.hit).count
      windows += s.windows.count
      hits += hit
      fps += s.falsePositives
      let leads = s.windows.map {
        $0.leadMs.map { String(format: "%.1f", Double($0) / 3.6e6) } ?? "–"
      }
      lines.append(
        "| \(s.key) | \(s.rows) | \(s.windows.count) | \(hit) | \(leads.joined(separator: ", ")) "
          + "| \(s.falsePositives) | \(String(format: "%.2f", s.raw)) |")
    }
    lines.append(
      "| **total** | | \(windows) | \(hits) (\(windows == 0 ? 0 : Int((100 * Double(hits) / Double(windows)).rounded())) %) | | \(fps) | |"
    )
    lines.append(
      String(
        format: "NAB score (standard profile, 0 = no alerts, 100 = perfect): %.1f",
        NABScorer.normalised(scores)))
    return lines.joined(separator: "\n")
  }
}
