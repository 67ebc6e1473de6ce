import AnomalyDetectionCore
import Foundation

/// `--plot DIR`: one SVG per input file (series, labelled windows, alerts), or
/// for the generator one per injected kind of anomaly (its first sensor with
/// that kind, the injected interval drawn as the window).
enum Plots {
  /// Writes the plots into `directory` and returns their paths.
  static func write(
    source: Source, alerts: [Summary.CommittedAlert], labelsPath: String?, to directory: String
  ) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var alertTimes: [String: [Int64]] = [:]
    for alert in alerts { alertTimes[alert.key, default: []].append(alert.eventTimeMs) }
    var plots: [SVGPlot] = []
    switch source {
    case .files(let input):
      let labels = try labelsPath.map { try NABLabels(path: $0) }
      var series = [[(timeMs: Int64, value: Double)]](repeating: [], count: input.keys.count)
      for reading in input.readings where reading.flag == .value {
        let k = Int(reading.sensor)
        series[k].append((reading.timestampMs + input.startMs[k], reading.value))
      }
      for (k, key) in input.keys.enumerated() {
        var plot = SVGPlot(title: key, points: series[k])
        plot.windows = labels?.windows[key] ?? []
        plot.alerts = alertTimes[key] ?? []
        let rows = input.rows[k]
        let probation = min(rows.count * 15 / 100, 750)
        if labels != nil, probation > 0, probation < rows.count {
          plot.probationEndMs = rows[probation].timeMs
        }
        plots.append(plot)
      }
    case .generated(let generator):
      var chosen: [InjectedAnomaly] = []
      for anomaly in generator.truth where !chosen.contains(where: { $0.kind == anomaly.kind }) {
        chosen.append(anomaly)
      }
      for anomaly in chosen {
        let k = Int(anomaly.sensor)
        var points: [(timeMs: Int64, value: Double)] = []
        for t in 0..<generator.ticks {
          let reading = generator.reading(t * generator.sensors + k)
          if reading.flag == .value { points.append((reading.timestampMs, reading.value)) }
        }
        points.sort { $0.timeMs < $1.timeMs }
        let key = SensorGenerator.name(anomaly.sensor)
        var plot = SVGPlot(title: "\(key) (injected \(anomaly.kind))", points: points)
        plot.windows = [(anomaly.startMs, anomaly.endMs)]
        plot.windowLabel = "injected anomaly"
        plot.alerts = alertTimes[key] ?? []
        plots.append(plot)
      }
    case .jetStream:
      return []
    }
    var paths: [String] = []
    for plot in plots {
      let name = plot.title.split(separator: " ").first.map(String.init) ?? "plot"
      let path = directory + "/" + name + ".svg"
      try plot.svg().write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    return paths
  }
}
