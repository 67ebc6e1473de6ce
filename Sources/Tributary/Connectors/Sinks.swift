import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension DataStream {
  /// Sends every record to a sink made by `makeSink` (one instance per subtask).
  ///
  /// With `transactions`, the sink is transactional (two-phase commit): what
  /// its ``StreamSink/snapshotState(checkpoint:)`` returns at a barrier is
  /// committed by `transactions.commit` once that checkpoint completed (again
  /// for the restored checkpoint when a run starts, so commits must be
  /// idempotent), and `transactions.supersede` runs once before a run starts,
  /// for the checkpoint it resumes from.
  @inlinable
  @discardableResult
  public func sink<S: StreamSink>(
    name: String = "Sink", transactions: SinkTransactions? = nil,
    _ makeSink: @escaping @Sendable (OperatorContext) throws -> S
  ) -> StreamSinkHandle where S.Input == T {
    let factory: SinkFactory<T> = { context in SinkKernel(try makeSink(context)) }
    let node = environment.addNode(
      name: name, inputs: [edge],
      role: NodeRole<T, Never>.sink(factory, transactions: transactions))
    return StreamSinkHandle(node: node)
  }

  /// Calls `body` with every batch of records (in order per subtask), from one
  /// task per subtask; `body` must be safe to call from several tasks at once
  /// when parallelism is above 1.
  @inlinable
  @discardableResult
  public func sink(name: String = "Sink", _ body: @escaping @Sendable ([T]) throws -> Void)
    -> StreamSinkHandle
  {
    sink(name: name) { _ in ClosureSink(body) }
  }

  /// Prints every record on standard output, prefixed by `subtask> ` when the
  /// sink runs with parallelism above 1 (as Flink's print sink does).
  @discardableResult
  public func print(name: String = "Print") -> StreamSinkHandle {
    sink(name: name) { context in PrintSink<T>(context: context) }
  }

  /// Drops every record (for benchmarks and tests of side effects).
  @discardableResult
  public func discard(name: String = "Discard") -> StreamSinkHandle {
    sink(name: name) { _ in ClosureSink<T> { _ in } }
  }

  /// Collects every record in memory; read ``CollectedRecords/values`` after
  /// `execute()` returns. Records of one subtask keep their order.
  public func collect(name: String = "Collect") -> CollectedRecords<T> {
    let results = CollectedRecords<T>()
    sink(name: name) { _ in ClosureSink { batch in results.append(batch) } }
    return results
  }

  /// Writes one line per record, `format(record)`, to a text file: `path`
  /// itself with parallelism 1, else `path` as a directory holding
  /// `part-<subtask>.txt`. Files are flushed when the input ends and closed
  /// in every case.
  @inlinable
  @discardableResult
  public func writeText(
    _ path: String, name: String = "TextFile",
    format: @escaping @Sendable (T) -> String = { "\($0)" }
  ) -> StreamSinkHandle {
    sink(name: name) { context in try TextFileSink(path: path, context: context, format: format) }
  }
}

/// A sink of the pipeline, to set its parallelism and name.
public struct StreamSinkHandle: Sendable {
  @usableFromInline let node: LogicalNode

  @usableFromInline
  init(node: LogicalNode) { self.node = node }

  /// Sets how many subtasks run the sink.
  @discardableResult
  public func parallelism(_ parallelism: Int) -> StreamSinkHandle {
    node.parallelism = parallelism
    return self
  }

  /// Names the sink (in errors and plans).
  @discardableResult
  public func name(_ name: String) -> StreamSinkHandle {
    node.name = name
    return self
  }
}

/// A sink calling a closure per batch.
public final class ClosureSink<T: Sendable>: StreamSink {
  @usableFromInline let body: @Sendable ([T]) throws -> Void
  /// Wraps `body`.
  @inlinable
  public init(_ body: @escaping @Sendable ([T]) throws -> Void) { self.body = body }
  @inlinable
  public func write(_ batch: [T]) throws { try body(batch) }
}

/// Records gathered by ``DataStream/collect(name:)``. Thread-safe.
public final class CollectedRecords<T: Sendable>: Sendable {
  private let storage = Mutex<[T]>([])
  init() {}
  func append(_ batch: [T]) { storage.withLock { $0.append(contentsOf: batch) } }
  /// Every record received so far.
  public var values: [T] { storage.withLock { $0 } }
}

/// Prints records, one per line, holding a process-wide lock per batch so
/// lines of different subtasks never mix.
final class PrintSink<T: Sendable>: StreamSink {
  private let prefix: String
  init(context: OperatorContext) {
    prefix = context.parallelism > 1 ? "\(context.subtaskIndex + 1)> " : ""
  }
  func write(_ batch: [T]) throws {
    var text = ""
    for record in batch { text += "\(prefix)\(record)\n" }
    printLock.withLock { _ in Swift.print(text, terminator: "") }
  }
}

private let printLock = Mutex(())

/// Writes formatted records as lines to a file (see ``DataStream/writeText(_:name:format:)``).
public final class TextFileSink<T: Sendable>: StreamSink {
  @usableFromInline let file: UnsafeMutablePointer<FILE>
  @usableFromInline let format: @Sendable (T) -> String
  let path: String

  /// Opens the file for `context`'s subtask (creating the directory for parallel sinks).
  public init(path: String, context: OperatorContext, format: @escaping @Sendable (T) -> String)
    throws
  {
    var target = path
    if context.parallelism > 1 {
      mkdir(path, 0o755)
      target = "\(path)/part-\(context.subtaskIndex).txt"
    }
    guard let file = fopen(target, "w") else {
      throw FileSinkError(path: target, reason: String(cString: strerror(errno)))
    }
    self.file = file
    self.path = target
    self.format = format
  }

  @inlinable
  public func write(_ batch: [T]) throws {
    for record in batch {
      var line = format(record)
      line.append("\n")
      let written = line.withCString { fputs($0, file) }
      if written < 0 {
        throw FileSinkError(path: "output", reason: String(cString: strerror(errno)))
      }
    }
  }

  public func finish() throws {
    if fflush(file) != 0 {
      throw FileSinkError(path: path, reason: String(cString: strerror(errno)))
    }
  }

  public func close() { fclose(file) }
}

/// A file sink could not write; the reason is the operating system's.
public struct FileSinkError: Error, CustomStringConvertible {
  /// The file.
  public let path: String
  /// The operating system's reason (e.g. "No space left on device").
  public let reason: String
  /// Creates an error for `path` with the operating system's `reason`.
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String {
    "cannot write \(path): \(reason); check free disk space and permissions"
  }
}
