import Foundation

/// Why a labels file could not be used.
public enum LabelsError: Error, CustomStringConvertible {
  /// The file could not be read or is not NAB's `combined_windows.json` shape.
  case invalid(path: String, reason: String)

  /// What went wrong and what to do about it.
  public var description: String {
    switch self {
    case .invalid(let path, let reason):
      "cannot use labels file \(path): \(reason); expected NAB's combined_windows.json format "
        + "({\"dir/file.csv\": [[\"start\", \"end\"], …]})"
    }
  }
}

/// Labeled anomaly windows in NAB's `combined_windows.json` format, by key
/// (a file's base name without extension).
public struct NABLabels: Sendable {
  /// Windows (start, end in UTC ms, both inclusive) per key.
  public let windows: [String: [(startMs: Int64, endMs: Int64)]]

  /// Windows given directly.
  public init(windows: [String: [(startMs: Int64, endMs: Int64)]]) { self.windows = windows }

  /// Parses the JSON text of a labels file (`path` is only used in errors).
  /// - Throws: ``LabelsError`` when the shape is wrong or a timestamp does not parse.
  public init(json: String, path: String = "labels") throws(LabelsError) {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(json.utf8))
    } catch {
      throw .invalid(path: path, reason: "not JSON (\(error.localizedDescription))")
    }
    guard let files = object as? [String: Any] else {
      throw .invalid(path: path, reason: "the top level is not an object")
    }
    var windows: [String: [(startMs: Int64, endMs: Int64)]] = [:]
    for (file, value) in files {
      guard let pairs = value as? [[String]] else {
        throw .invalid(path: path, reason: "the windows of \(file) are not [[start, end], …]")
      }
      let key = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
      var list: [(startMs: Int64, endMs: Int64)] = []
      for pair in pairs {
        guard pair.count == 2, let start = Timestamps.parse(pair[0]),
          let end = Timestamps.parse(pair[1])
        else {
          throw .invalid(path: path, reason: "a window of \(file) is not two timestamps: \(pair)")
        }
        list.append((start, end))
      }
      windows[key] = list.sorted { $0.startMs < $1.startMs }
    }
    self.windows = windows
  }

  /// Reads and parses a labels file.
  public init(path: String) throws(LabelsError) {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .invalid(path: path, reason: error.localizedDescription)
    }
    try self.init(json: text, path: path)
  }
}
