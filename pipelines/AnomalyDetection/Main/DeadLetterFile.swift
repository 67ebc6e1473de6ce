import AnomalyDetectionCore
import Foundation

/// The dead-letter file `dead-letters.tsv` in the output directory: one line
/// per rejected input line (file, line number, reason). It is written whole
/// (temporary file, then rename) before the job starts, so a restarted run
/// writes the same file again.
enum DeadLetterFile {
  static func write(_ letters: [DeadLetter], to directory: String) throws {
    let path = directory + "/dead-letters.tsv"
    let text = (["file\tline\treason"] + letters.map(\.tsv)).joined(separator: "\n") + "\n"
    let temporary = path + ".tmp"
    try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    if FileManager.default.fileExists(atPath: path) {
      try FileManager.default.removeItem(atPath: path)
    }
    try FileManager.default.moveItem(atPath: temporary, toPath: path)
  }
}
