#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a text file source failed the job.
public enum FileSourceError: Error, CustomStringConvertible, Equatable {
  /// The file could not be opened or read. `reason` says why in words (the
  /// file does not exist, permission denied, it is a directory, or the
  /// system's message for anything else); `file` is the path as given.
  case cannotOpen(file: String, reason: String)
  /// A line was rejected: it is not valid UTF-8, or the parser threw.
  /// `line` is 1-based; `reason` is the parser's error or the UTF-8 verdict.
  case malformedLine(file: String, line: Int, reason: String)

  /// `cannot open FILE: REASON; …` or `FILE:LINE: malformed line: REASON`.
  public var description: String {
    switch self {
    case .cannotOpen(let file, let reason):
      return "cannot open \(file): \(reason); check the path and permissions"
    case .malformedLine(let file, let line, let reason):
      return "\(file):\(line): malformed line: \(reason)"
    }
  }
}

/// A parser's verdict on one line it cannot turn into a record.
public struct LineParseError: Error, CustomStringConvertible {
  /// Why the line was rejected.
  public let reason: String
  /// Creates an error with a reason.
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// A line that a file source could not turn into a record: it is not valid
/// UTF-8, or the parser threw. Handed to the dead-letter handler of
/// ``BadLineHandling/deadLetter(_:)``.
public struct BadLine: Sendable, Equatable, CustomStringConvertible {
  /// The file's path as given to the source.
  public let file: String
  /// 1-based line number in that file.
  public let line: Int
  /// Why the line was rejected: the parser's error, or for a line that is not
  /// valid UTF-8 `line is not valid UTF-8 (byte 0xFF at column 12)` (the first
  /// byte of the first ill-formed sequence; columns count bytes from 1).
  public let reason: String
  /// The line's bytes exactly as in the file, without its line terminator.
  public let bytes: [UInt8]

  /// Creates a bad line.
  public init(file: String, line: Int, reason: String, bytes: [UInt8]) {
    self.file = file
    self.line = line
    self.reason = reason
    self.bytes = bytes
  }

  /// `file:line: reason`.
  public var description: String { "\(file):\(line): \(reason)" }
}

/// What a file source does with a ``BadLine`` (a line that is not valid UTF-8
/// or that the parser rejected). Files that cannot be opened or read always
/// fail the job with ``FileSourceError/cannotOpen(file:reason:)``.
public enum BadLineHandling: Sendable {
  /// Fail the job with ``FileSourceError/malformedLine(file:line:reason:)``
  /// naming the file and line (the default).
  case fail
  /// Drop the line and read on.
  case skip
  /// Hand the line to `handler` and read on. The handler runs synchronously
  /// on the source subtask that read the line, before that subtask reads
  /// further: in line order for each file, but possibly concurrently for
  /// different files (subtasks). A job that reads a file again (for example
  /// after a restart) reports its bad lines again.
  case deadLetter(@Sendable (BadLine) -> Void)

  /// Applies the policy to `line`.
  @usableFromInline
  func handle(_ line: BadLine) throws(FileSourceError) {
    switch self {
    case .fail: throw .malformedLine(file: line.file, line: line.line, reason: line.reason)
    case .skip: break
    case .deadLetter(let handler): handler(line)
    }
  }
}

/// One line of a text file as ``TextLineReader`` read it.
public enum TextLine: Sendable, Equatable {
  /// A line that is valid UTF-8, without its line terminator.
  case text(String)
  /// A line that is not valid UTF-8: its bytes (without the line terminator)
  /// and why, e.g. `line is not valid UTF-8 (byte 0xFF at column 12)`.
  case invalid(bytes: [UInt8], reason: String)
}

/// Reads one file line by line, tracking the line number, and checks that
/// each line is valid UTF-8 (it never repairs a line).
///
/// Lines end at LF; the LF and any CR bytes directly before it are removed,
/// so LF and CRLF files read the same. Use one reader from one task
/// at a time; the file is closed when the reader is released.
public final class TextLineReader {
  /// The file's path as given.
  public let path: String
  /// 1-based number of the line ``next()`` returned last (0 before the first).
  public private(set) var lineNumber = 0
  private let file: UnsafeMutablePointer<FILE>
  private var line: UnsafeMutablePointer<CChar>?
  private var capacity = 0

  /// Opens the file at `path` for reading.
  /// - Throws: ``FileSourceError/cannotOpen(file:reason:)`` with `path` and
  ///   why: the file does not exist, permission denied, it is a directory, or
  ///   the system's message.
  public init(path: String) throws(FileSourceError) {
    guard let file = fopen(path, "r") else {
      throw .cannotOpen(file: path, reason: Self.openFailureReason(errno))
    }
    // fopen succeeds on a directory on Linux (reads then fail with EISDIR).
    var status = stat()
    if fstat(fileno(file), &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
      fclose(file)
      throw .cannotOpen(file: path, reason: Self.openFailureReason(EISDIR))
    }
    self.path = path
    self.file = file
  }

  /// Why `open` failed with `code`, in words.
  static func openFailureReason(_ code: Int32) -> String {
    switch code {
    case ENOENT: "the file does not exist"
    case EACCES, EPERM: "permission denied"
    case EISDIR: "it is a directory, not a file"
    case ENOTDIR: "a component of the path is not a directory"
    default: String(cString: strerror(code))
    }
  }

  /// The next line, or `nil` at the end of the file.
  /// - Throws: ``FileSourceError/cannotOpen(file:reason:)`` when reading
  ///   fails (the reason names the last line read and the system's message).
  public func next() throws(FileSourceError) -> TextLine? {
    let length = getline(&line, &capacity, file)
    guard length >= 0, let line else {
      let code = errno
      if ferror(file) != 0 {
        throw .cannotOpen(
          file: path,
          reason: "reading failed after line \(lineNumber): \(String(cString: strerror(code)))")
      }
      return nil
    }
    lineNumber += 1
    var count = length
    while count > 0 && (line[count - 1] == 0x0A || line[count - 1] == 0x0D) { count -= 1 }
    return line.withMemoryRebound(to: UInt8.self, capacity: count) { start in
      let bytes = UnsafeBufferPointer(start: start, count: count)
      if let text = String(validating: bytes, as: UTF8.self) { return .text(text) }
      return .invalid(bytes: Array(bytes), reason: Self.invalidUTF8Reason(bytes))
    }
  }

  /// `line is not valid UTF-8 (byte 0xFF at column 12)`: the first byte of the
  /// first ill-formed sequence in `bytes` and its 1-based byte column.
  static func invalidUTF8Reason(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let scalar):
        offset += scalar.count
      case .error:
        let hex = String(bytes[offset], radix: 16, uppercase: true)
        return "line is not valid UTF-8 (byte 0x\(hex.count < 2 ? "0" : "")\(hex) "
          + "at column \(offset + 1))"
      case .emptyInput:
        return "line is not valid UTF-8"
      }
    }
  }

  deinit {
    fclose(file)
    free(line)
  }
}

extension StreamEnvironment {
  /// A bounded source of the lines of text files (line terminators removed),
  /// each parsed by `parse` (given the line and its 1-based number). Files are
  /// assigned to source subtasks round-robin; each file is read in order.
  ///
  /// A line that is not valid UTF-8 (it is never repaired) or that `parse`
  /// rejects by throwing is a ``BadLine``, handled by `onBadLine`: by default
  /// it fails the job with ``FileSourceError/malformedLine(file:line:reason:)``
  /// naming the file and line number (1-based); ``BadLineHandling/skip`` drops
  /// it and ``BadLineHandling/deadLetter(_:)`` hands it to a handler, and the
  /// rest of the file is read. Return `nil` from `parse` to skip a line
  /// deliberately (it is not a bad line). A file that cannot be opened or read
  /// fails the job with ``FileSourceError/cannotOpen(file:reason:)`` saying
  /// why, whatever `onBadLine` says.
  @inlinable
  public func readTextFiles<T: Sendable>(
    _ paths: [String], name: String = "TextFile", onBadLine: BadLineHandling = .fail,
    parse: @escaping @Sendable (_ line: String, _ lineNumber: Int) throws -> T?
  ) -> DataStream<T> {
    let factory: SourceFactory<T> = { context in
      let mine = paths.indices.filter { $0 % context.parallelism == context.subtaskIndex }
      var fileIndex = 0
      var reader: TextLineReader?
      return SourceReader { buffer, limit in
        var produced = 0
        while produced < limit {
          if reader == nil {
            guard fileIndex < mine.count else { return .finished }
            reader = try TextLineReader(path: paths[mine[fileIndex]])
          }
          guard let line = try reader!.next() else {
            reader = nil
            fileIndex += 1
            continue
          }
          switch line {
          case .text(let text):
            let record: T?
            do {
              record = try parse(text, reader!.lineNumber)
            } catch {
              try onBadLine.handle(
                BadLine(
                  file: reader!.path, line: reader!.lineNumber, reason: "\(error)",
                  bytes: Array(text.utf8)))
              continue
            }
            if let record {
              buffer.append(record)
              produced += 1
            }
          case .invalid(let bytes, let reason):
            try onBadLine.handle(
              BadLine(file: reader!.path, line: reader!.lineNumber, reason: reason, bytes: bytes))
          }
        }
        return .more
      }
    }
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: nil))
    return DataStream(environment: self, node: node)
  }

  /// The lines of a text file (see ``readTextFiles(_:name:onBadLine:parse:)``):
  /// a line that is not valid UTF-8 is handled by `onBadLine` (by default it
  /// fails the job naming the file and line).
  public func readTextFile(
    _ path: String, name: String = "TextFile", onBadLine: BadLineHandling = .fail
  ) -> DataStream<String> {
    readTextFiles([path], name: name, onBadLine: onBadLine) { line, _ in line }
  }

  /// The records of a CSV file: each line is split at commas and handed to
  /// `parse`. Lines that are empty are skipped; set `skipHeader` to skip the
  /// first line. A line that is not valid UTF-8 or that `parse` rejects by
  /// throwing is handled by `onBadLine` (by default it fails the job naming
  /// the file and line; see ``readTextFiles(_:name:onBadLine:parse:)``).
  @inlinable
  public func readCSV<T: Sendable>(
    _ path: String, skipHeader: Bool = false, name: String = "CSV",
    onBadLine: BadLineHandling = .fail,
    parse: @escaping @Sendable ([Substring]) throws -> T
  ) -> DataStream<T> {
    readTextFiles([path], name: name, onBadLine: onBadLine) { line, lineNumber in
      if (skipHeader && lineNumber == 1) || line.isEmpty { return nil }
      return try parse(line.split(separator: ",", omittingEmptySubsequences: false))
    }
  }
}
