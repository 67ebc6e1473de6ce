import Foundation
import Tributary

/// A line of an input file that could not be used: which file, which line
/// (1-based) and why. Bad lines never stop the job; they are listed here.
public struct DeadLetter: Sendable, Equatable {
  /// The file's path as given.
  public var file: String
  /// 1-based line number.
  public var line: Int
  /// Why the line was rejected.
  public var reason: String

  /// Creates an entry.
  public init(file: String, line: Int, reason: String) {
    self.file = file
    self.line = line
    self.reason = reason
  }

  /// One tab-separated line: file, line number, reason.
  public var tsv: String { "\(file)\t\(line)\t\(reason)" }
}

/// Why an input file could not be read at all.
public enum InputError: Error, CustomStringConvertible {
  /// The file could not be opened or read; `reason` says why (the file does
  /// not exist, permission denied, it is a directory, or the system's message).
  case unreadable(path: String, reason: String)
  /// The same base name was given twice: keys must be unique.
  case duplicateKey(String)

  /// What went wrong and what to do about it.
  public var description: String {
    switch self {
    case .unreadable(let path, let reason):
      "cannot read input file \(path): \(reason); check the path"
    case .duplicateKey(let key):
      "two input files are named \(key); each file is one key, so give files different names"
    }
  }
}

/// Files of `timestamp,value` lines (the Numenta Anomaly Benchmark format),
/// loaded for the pipeline: each file is one key (its base name without
/// extension).
///
/// Files usually cover different periods, so each file's clock is aligned to
/// its first timestamp and the readings of all files are merged in that
/// relative event time; every key's readings keep the order of their
/// timestamps. A first line that is not data (`timestamp,value`) is a header;
/// empty lines are skipped; any other line that is not a timestamp
/// (`YYYY-MM-DD HH:MM:SS[.ffffff]`) and a finite number becomes a
/// ``DeadLetter``, and so does a line that is not valid UTF-8 (reason
/// `line is not valid UTF-8 (byte 0xFF at column 12)`, columns counting bytes
/// from 1); the rest of the file is read either way. Lines end at LF or CRLF.
/// Each key ends with an ``Reading/Flag/endOfKey`` record.
public struct NABInput: Sendable {
  /// Key names, indexed by ``Reading/sensor``.
  public let keys: [String]
  /// Every line's timestamp text, indexed by ``Reading/line``.
  public let timestampTexts: [String]
  /// The readings of all files, merged by relative event time.
  public let readings: [Reading]
  /// Rejected lines.
  public let deadLetters: [DeadLetter]
  /// Per key: absolute timestamps (ms) of its good lines, in file order, and their line refs.
  public let rows: [[(timeMs: Int64, line: Int32)]]
  /// Per key: the absolute time (UTC ms) of its first good line, which is
  /// relative event time 0 of that key.
  public let startMs: [Int64]
  /// Median gap between consecutive readings over all files (ms).
  public let medianIntervalMs: Int64

  /// Loads the files at `paths`.
  /// - Throws: ``InputError`` when a file cannot be read or two files share a name.
  public init(paths: [String]) throws(InputError) {
    var keys: [String] = []
    var texts: [String] = []
    var merged: [(rel: Int64, file: Int, order: Int, reading: Reading)] = []
    var dead: [DeadLetter] = []
    var rows: [[(timeMs: Int64, line: Int32)]] = []
    var gaps: [Int64] = []
    var starts: [Int64] = []
    for (fileIndex, path) in paths.enumerated() {
      let key = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      if keys.contains(key) { throw .duplicateKey(key) }
      keys.append(key)
      let reader: TextLineReader
      do {
        reader = try TextLineReader(path: path)
      } catch {
        throw .unreadable(path: path, reason: error.reason)
      }
      var fileRows: [(timeMs: Int64, line: Int32)] = []
      var firstTime: Int64?
      var maxRel: Int64 = 0
      while true {
        let next: TextLine?
        do {
          next = try reader.next()
        } catch {
          throw .unreadable(path: path, reason: error.reason)
        }
        guard let next else { break }
        let lineNumber = reader.lineNumber
        let line: String
        switch next {
        case .text(let text):
          line = text
        case .invalid(_, let reason):
          dead.append(DeadLetter(file: path, line: lineNumber, reason: reason))
          continue
        }
        if line.allSatisfy({ $0 == " " }) { continue }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 2 else {
          dead.append(
            DeadLetter(
              file: path, line: lineNumber,
              reason: "expected 2 fields (timestamp,value), found \(fields.count)"))
          continue
        }
        let timeText = fields[0].trimmingCharacters(in: .whitespaces)
        let valueText = fields[1].trimmingCharacters(in: .whitespaces)
        guard let time = Timestamps.parse(timeText) else {
          if lineNumber == 1 && Double(valueText) == nil { continue }  // header
          dead.append(
            DeadLetter(file: path, line: lineNumber, reason: "unparseable timestamp '\(timeText)'"))
          continue
        }
        guard let value = Double(valueText), value.isFinite else {
          dead.append(
            DeadLetter(file: path, line: lineNumber, reason: "unparseable value '\(valueText)'"))
          continue
        }
        let ref = Int32(texts.count)
        texts.append(String(fields[0]))
        let start = firstTime ?? time
        firstTime = start
        let rel = time - start
        maxRel = max(maxRel, rel)
        if let previous = fileRows.last, time > previous.timeMs {
          gaps.append(time - previous.timeMs)
        }
        fileRows.append((time, ref))
        merged.append(
          (
            rel, fileIndex, lineNumber,
            Reading(sensor: Int32(fileIndex), timestampMs: rel, value: value, line: ref)
          ))
      }
      if !fileRows.isEmpty {
        merged.append(
          (
            maxRel, fileIndex, Int.max,
            Reading(sensor: Int32(fileIndex), timestampMs: maxRel, value: 0, flag: .endOfKey)
          ))
      }
      rows.append(fileRows)
      starts.append(firstTime ?? 0)
    }
    merged.sort { a, b in
      (a.rel, a.file, a.order) < (b.rel, b.file, b.order)
    }
    gaps.sort()
    self.keys = keys
    self.timestampTexts = texts
    self.readings = merged.map(\.reading)
    self.deadLetters = dead
    self.rows = rows
    self.startMs = starts
    self.medianIntervalMs = gaps.isEmpty ? 60_000 : gaps[(gaps.count - 1) / 2]
  }
}

extension FileSourceError {
  /// The reason text of either case.
  fileprivate var reason: String {
    switch self {
    case .cannotOpen(_, let reason), .malformedLine(_, _, let reason): reason
    }
  }
}
