import Foundation
import Testing

/// The engine's folders are floors whose dependencies point one way
/// (docs/architecture.md, "Floors"): a file may use types of its own floor
/// and the floors below, never above; `Checkpoint/Protocol` and
/// `Checkpoint/Storage` use nothing of the floors at all.
@Suite struct SourceLayeringTests {
  /// Floor of each folder of `Sources/Tributary` (0: stands apart).
  static let floors: [(folder: String, floor: Int)] = [
    ("Checkpoint/Protocol/", 0), ("Checkpoint/Storage/", 0), ("Core/", 1), ("State/", 2),
    ("Time/", 3), ("Operators/", 4), ("Exchange/", 4), ("Execution/", 5), ("Monitoring/", 5),
    ("API/", 6),
    ("Connectors/", 6),
  ]

  static func floor(of path: String) -> Int? {
    if !path.contains("/") { return 1 }  // Tributary.swift: the module's re-exports
    return floors.first { path.hasPrefix($0.folder) }?.floor
  }

  /// `source` without comments and string literals.
  static func code(_ source: String) -> String {
    var text = source
    for pattern in [
      #"/\*[\s\S]*?\*/"#, #"\"\"\"[\s\S]*?\"\"\""#, #""(?:[^"\\\n]|\\.)*""#, #"//.*"#,
    ] {
      text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
    }
    return text
  }

  @Test func everyFileUsesOnlyItsOwnFloorAndTheFloorsBelow() throws {
    let root = packageRoot.appendingPathComponent("Sources/Tributary")
    let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
    var files: [(path: String, floor: Int?, code: String)] = []
    var declared: [String: (floor: Int, path: String)] = [:]
    let declaration = try NSRegularExpression(
      pattern:
        #"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|internal|private|fileprivate|final|open|package)\s+)*(?:class|struct|enum|protocol|actor|typealias)\s+([A-Z][A-Za-z0-9_]*)"#,
      options: [.anchorsMatchLines])
    while let path = enumerator.nextObject() as? String {
      guard path.hasSuffix(".swift") else { continue }
      let source = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
      let floor = Self.floor(of: path)
      files.append((path, floor, Self.code(source)))
      guard let floor else { continue }
      let range = NSRange(source.startIndex..., in: source)
      for match in declaration.matches(in: source, range: range) {
        let name = String(source[Range(match.range(at: 1), in: source)!])
        if declared[name] == nil { declared[name] = (floor, path) }
      }
    }
    #expect(files.count > 100, "the sources were found")
    #expect(declared["StreamOperator"]?.floor == 1 && declared["JobExecution"]?.floor == 5)
    var violations: [String] = []
    for file in files {
      guard let floor = file.floor else {
        violations.append("\(file.path) lies in no floor's folder")
        continue
      }
      for (name, owner) in declared where owner.path != file.path {
        let above = floor == 0 ? owner.floor != 0 : owner.floor > floor
        guard above,
          file.code.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil
        else { continue }
        violations.append(
          "\(file.path) (floor \(floor)) uses \(name) of \(owner.path) (floor \(owner.floor))")
      }
    }
    #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
  }
}
