#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A line of a text file that could not be read or parsed.
public enum FileSourceError: Error, CustomStringConvertible, Equatable {
  /// The file could not be opened.
  case cannotOpen(file: String, reason: String)
  /// A line was rejected by the parser.
  case malformedLine(file: String, line: Int, reason: String)

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

/// Reads one file line by line with `getline`, tracking the line number.
@usableFromInline
final class LineReader {
  @usableFromInline let path: String
  private let file: UnsafeMutablePointer<FILE>
  private var line: UnsafeMutablePointer<CChar>?
  private var capacity = 0
  @usableFromInline private(set) var lineNumber = 0

  @usableFromInline
  init(path: String) throws(FileSourceError) {
    guard let file = fopen(path, "r") else {
      throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
    }
    self.path = path
    self.file = file
  }

  /// The next line without its line terminator, or `nil` at end of file.
  @usableFromInline
  func next() -> String? {
    let length = getline(&line, &capacity, file)
    guard length >= 0, let line else { return nil }
    lineNumber += 1
    var count = length
    while count > 0 && (line[count - 1] == 0x0A || line[count - 1] == 0x0D) { count -= 1 }
    return line.withMemoryRebound(to: UInt8.self, capacity: count) {
      String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
    }
  }

  deinit {
    fclose(file)
    free(line)
  }
}

extension StreamEnvironment {
  /// A bounded source of the lines of text files (line terminators removed),
  /// each parsed by `parse` (given the line and its 1-based number). Files are assigned to source subtasks round-robin;
  /// each file is read in order.
  ///
  /// A line that `parse` rejects fails the job with
  /// ``FileSourceError/malformedLine(file:line:reason:)`` naming the file and
  /// line number (1-based); return `nil` from `parse` to skip a line.
  @inlinable
  public func readTextFiles<T: Sendable>(
    _ paths: [String], name: String = "TextFile",
    parse: @escaping @Sendable (_ line: String, _ lineNumber: Int) throws -> T?
  ) -> DataStream<T> {
    let factory: SourceFactory<T> = { context in
      let mine = paths.indices.filter { $0 % context.parallelism == context.subtaskIndex }
      var fileIndex = 0
      var reader: LineReader?
      return SourceReader { buffer, limit in
        var produced = 0
        while produced < limit {
          if reader == nil {
            guard fileIndex < mine.count else { return .finished }
            reader = try LineReader(path: paths[mine[fileIndex]])
          }
          guard let line = reader!.next() else {
            reader = nil
            fileIndex += 1
            continue
          }
          do {
            if let record = try parse(line, reader!.lineNumber) {
              buffer.append(record)
              produced += 1
            }
          } catch {
            throw FileSourceError.malformedLine(
              file: reader!.path, line: reader!.lineNumber, reason: "\(error)")
          }
        }
        return .more
      }
    }
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: nil))
    return DataStream(environment: self, node: node)
  }

  /// The lines of a text file (see ``readTextFiles(_:name:parse:)``).
  public func readTextFile(_ path: String, name: String = "TextFile") -> DataStream<String> {
    readTextFiles([path], name: name) { line, _ in line }
  }

  /// The records of a CSV file: each line is split at commas and handed to
  /// `parse`; a thrown error names the file and line. Lines that are empty
  /// are skipped; set `skipHeader` to skip the first line.
  @inlinable
  public func readCSV<T: Sendable>(
    _ path: String, skipHeader: Bool = false, name: String = "CSV",
    parse: @escaping @Sendable ([Substring]) throws -> T
  ) -> DataStream<T> {
    readTextFiles([path], name: name) { line, lineNumber in
      if (skipHeader && lineNumber == 1) || line.isEmpty { return nil }
      return try parse(line.split(separator: ",", omittingEmptySubsequences: false))
    }
  }
}
