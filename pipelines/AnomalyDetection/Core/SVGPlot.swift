/// One sensor's series as a standalone SVG image: the readings as a line,
/// labelled anomaly windows as red bands, a shaded probationary period and
/// the alerts as red markers with a thin line down to the time axis.
///
/// A pure value with no dependencies: `svg()` returns the same text for the
/// same input. Long series are drawn with the smallest and largest value of
/// each pixel column, so spikes stay visible and the file stays small.
public struct SVGPlot: Sendable {
  /// The title (the key).
  public var title: String
  /// The readings: event time (UTC ms) and value, in time order.
  public var points: [(timeMs: Int64, value: Double)]
  /// Labelled anomaly windows (UTC ms, inclusive).
  public var windows: [(startMs: Int64, endMs: Int64)] = []
  /// What the windows are, for the legend.
  public var windowLabel = "labelled anomaly window"
  /// Alert times (UTC ms).
  public var alerts: [Int64] = []
  /// End of the probationary period (UTC ms), if one is shaded.
  public var probationEndMs: Int64?
  /// Image width in pixels.
  public var width = 1_000
  /// Image height in pixels.
  public var height = 320

  /// Creates a plot of `points` titled `title`.
  public init(title: String, points: [(timeMs: Int64, value: Double)]) {
    self.title = title
    self.points = points
  }

  /// The SVG document.
  public func svg() -> String {
    let left = 60.0
    let right = Double(width) - 15
    let top = 30.0
    let bottom = Double(height) - 45
    let t0 = points.first?.timeMs ?? 0
    let t1 = max(points.last?.timeMs ?? 1, t0 + 1)
    var low = points.map(\.value).min() ?? 0
    var high = points.map(\.value).max() ?? 1
    if high <= low {
      low -= 1
      high += 1
    }
    let (dataLow, dataHigh) = (low, high)
    let pad = (high - low) * 0.05
    low -= pad
    high += pad
    func x(_ t: Int64) -> Double {
      left + (right - left) * Double(min(max(t, t0), t1) - t0) / Double(t1 - t0)
    }
    func y(_ v: Double) -> Double { bottom - (bottom - top) * (v - low) / (high - low) }

    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
      viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="11">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(f(left))" y="18" font-size="13" font-weight="bold">\(escaped(title))</text>

      """
    if let end = probationEndMs, end > t0 {
      out += rect(x(t0), top, x(end) - x(t0), bottom - top, fill: "#eeeeee")
    }
    for window in windows {
      let a = x(window.startMs)
      out += rect(a, top, max(x(window.endMs) - a, 1), bottom - top, fill: "#f8c8c8")
    }
    out +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" "
      + "height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#888\"/>\n"
    // Axis labels: value range and time range.
    out += text(left - 5, y(dataHigh) + 4, Self.number(dataHigh), anchor: "end")
    out += text(left - 5, y(dataLow) + 4, Self.number(dataLow), anchor: "end")
    out += text(left, bottom + 15, Timestamps.iso8601(millis: t0).prefix(16) + "Z", anchor: "start")
    out += text(right, bottom + 15, Timestamps.iso8601(millis: t1).prefix(16) + "Z", anchor: "end")
    // The series: min and max of each pixel column.
    var polyline: [String] = []
    var column = -1
    var columnLow = 0.0
    var columnHigh = 0.0
    var columnFirst = 0.0
    func flush() {
      guard column >= 0 else { return }
      let px = f(Double(column) + 0.5)
      if columnHigh == columnLow {
        polyline.append("\(px),\(f(y(columnFirst)))")
      } else {
        polyline.append("\(px),\(f(y(columnLow)))")
        polyline.append("\(px),\(f(y(columnHigh)))")
      }
    }
    for point in points where point.value.isFinite {
      let c = Int(x(point.timeMs))
      if c != column {
        flush()
        column = c
        columnLow = point.value
        columnHigh = point.value
        columnFirst = point.value
      } else {
        columnLow = min(columnLow, point.value)
        columnHigh = max(columnHigh, point.value)
      }
    }
    flush()
    out +=
      "<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1\" points=\""
      + polyline.joined(separator: " ") + "\"/>\n"
    for alert in alerts {
      let ax = f(x(alert))
      out +=
        "<line x1=\"\(ax)\" y1=\"\(f(top))\" x2=\"\(ax)\" y2=\"\(f(bottom))\" stroke=\"#d62728\" "
        + "stroke-width=\"0.8\" stroke-dasharray=\"3,2\"/>\n"
        + "<path d=\"M\(ax),\(f(top + 9)) l-5,-9 h10 z\" fill=\"#d62728\"/>\n"
    }
    // Legend.
    let ly = Double(height) - 12
    out += rect(left, ly - 8, 18, 8, fill: "#f8c8c8")
    out += text(left + 22, ly, windowLabel, anchor: "start")
    out += "<path d=\"M\(f(left + 190)),\(f(ly)) l-5,-9 h10 z\" fill=\"#d62728\"/>\n"
    out += text(left + 200, ly, "alert (\(alerts.count))", anchor: "start")
    if probationEndMs != nil {
      out += rect(left + 290, ly - 8, 18, 8, fill: "#eeeeee")
      out += text(left + 312, ly, "probationary period (not scored)", anchor: "start")
    }
    out +=
      "<line x1=\"\(f(left + 510))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + 528))\" y2=\"\(f(ly - 4))\" "
      + "stroke=\"#1f5fa8\"/>\n"
    out += text(left + 532, ly, "readings (\(points.count))", anchor: "start")
    return out + "</svg>\n"
  }

  private func f(_ v: Double) -> String {
    let rounded = (v * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  }

  private func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String) -> String {
    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"\(fill)\"/>\n"
  }

  private func text<S: StringProtocol>(_ x: Double, _ y: Double, _ s: S, anchor: String) -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\">\(escaped(String(s)))</text>\n"
  }

  private func escaped(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "&": out += "&amp;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  /// A compact axis label (4 significant digits).
  static func number(_ v: Double) -> String {
    let magnitude = abs(v)
    if magnitude >= 1e5 || (magnitude < 1e-2 && magnitude > 0) {
      return String(v.formatted4e)
    }
    let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let r = (v * scale).rounded() / scale
    return decimals == 0 ? String(Int64(r)) : String(r)
  }
}

extension Double {
  /// The value in scientific notation with 3 decimals (`1.235e+06`), without Foundation.
  fileprivate var formatted4e: String {
    guard isFinite, self != 0 else { return String(self) }
    var exponent = 0
    var mantissa = abs(self)
    while mantissa >= 10 {
      mantissa /= 10
      exponent += 1
    }
    while mantissa < 1 {
      mantissa *= 10
      exponent -= 1
    }
    let m = (mantissa * 1_000).rounded() / 1_000
    return (self < 0 ? "-" : "") + String(m) + "e" + (exponent < 0 ? "-" : "+")
      + String(abs(exponent))
  }
}
