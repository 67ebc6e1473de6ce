/// Precision and recall of alerts against the generator's injected anomalies.
///
/// An alert matches an anomaly of the same sensor when its event time lies in
/// `[start − slack, end + grace]` (detectors need a little time, and the end
/// of a shift or drift is itself a change). Precision: matching alerts / all
/// alerts; recall: anomalies with at least one matching alert / anomalies.
public struct TruthEvaluation: Sendable, Equatable {
  /// Alerts counted.
  public var alerts: Int
  /// Alerts that match an anomaly.
  public var matchingAlerts: Int
  /// Anomalies injected.
  public var anomalies: Int
  /// Anomalies found.
  public var found: Int
  /// Per kind: (found, injected).
  public var byKind: [AlertKind: (found: Int, injected: Int)]

  /// Matching alerts / alerts (1 when there are no alerts).
  public var precision: Double { alerts == 0 ? 1 : Double(matchingAlerts) / Double(alerts) }
  /// Found / injected (1 when nothing was injected).
  public var recall: Double { anomalies == 0 ? 1 : Double(found) / Double(anomalies) }

  /// Evaluates `alerts` (sensor, event time) against `truth`.
  public init(
    alerts: [(sensor: Int32, timeMs: Int64)], truth: [InjectedAnomaly], slackMs: Int64,
    graceMs: Int64
  ) {
    var bySensor: [Int32: [Int]] = [:]
    for (index, anomaly) in truth.enumerated() {
      bySensor[anomaly.sensor, default: []].append(index)
    }
    var foundFlags = [Bool](repeating: false, count: truth.count)
    var matching = 0
    for alert in alerts {
      var matched = false
      for index in bySensor[alert.sensor] ?? [] {
        let a = truth[index]
        if alert.timeMs >= a.startMs - slackMs && alert.timeMs <= a.endMs + graceMs {
          foundFlags[index] = true
          matched = true
        }
      }
      if matched { matching += 1 }
    }
    var byKind: [AlertKind: (found: Int, injected: Int)] = [:]
    for (index, anomaly) in truth.enumerated() {
      var entry = byKind[anomaly.kind] ?? (0, 0)
      entry.injected += 1
      if foundFlags[index] { entry.found += 1 }
      byKind[anomaly.kind] = entry
    }
    self.alerts = alerts.count
    self.matchingAlerts = matching
    self.anomalies = truth.count
    self.found = foundFlags.filter { $0 }.count
    self.byKind = byKind
  }

  /// Equal when all counts are equal.
  public static func == (a: Self, b: Self) -> Bool {
    a.alerts == b.alerts && a.matchingAlerts == b.matchingAlerts && a.anomalies == b.anomalies
      && a.found == b.found
  }
}
