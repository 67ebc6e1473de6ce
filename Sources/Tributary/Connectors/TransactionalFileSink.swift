import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A pre-committed transaction of the transactional file sink: a finished
/// in-progress file and the name it gets when committed.
typealias FileTransaction = Pair<String, String>

/// Writes lines to files in a directory with exactly-once semantics, by
/// two-phase commit with the job's checkpoints.
///
/// Records go to a hidden in-progress file (`DIR/.inprogress/…`). At each
/// checkpoint barrier the file is flushed, fsynced and closed (pre-commit);
/// only when that checkpoint completed is it renamed, atomically, to
/// `DIR/<prefix>-<subtask>-<checkpoint>.<ext>` (commit). At the end of a
/// bounded input the last file is committed by the job's final checkpoint as
/// `<prefix>-<subtask>-end.<ext>`. After a crash, the restored job commits the
/// transactions of the checkpoint it resumes from (idempotently) and deletes
/// its subtask's other in-progress files, so committed output is never
/// duplicated or lost. When the job resumes from a checkpoint older than
/// committed files (the newest checkpoint was unusable, `--restore-from` an
/// older one, or `--fresh`), those files are moved into
/// `DIR/.superseded-<checkpoint>/` first (see ``CommittedFiles``): the replay
/// commits their records again, exactly once. Without checkpointing, files
/// are committed at the end of input. Use one transactional sink per directory.
public final class TransactionalFileSink<T: Sendable>: StreamSink {
  public typealias Input = T
  let directory: String
  let prefix: String
  let fileExtension: String
  @usableFromInline let format: @Sendable (T) -> String
  var subtask = 0
  var attempt = ""
  var sequence = 0
  var current: (name: String, file: UnsafeMutablePointer<FILE>)?
  var pending: [FileTransaction] = []
  var checkpointing = false

  /// Creates the sink of one subtask.
  public init(
    directory: String, prefix: String, fileExtension: String,
    format: @escaping @Sendable (T) -> String
  ) {
    self.directory = directory
    self.prefix = prefix
    self.fileExtension = fileExtension
    self.format = format
  }

  var inProgressDirectory: String { "\(directory)/.inprogress" }

  public func open(_ context: OperatorContext) throws {
    subtask = context.subtaskIndex
    attempt = String(UUID().uuidString.prefix(8))
    try FileManager.default.createDirectory(
      atPath: inProgressDirectory, withIntermediateDirectories: true)
    // Transactions of the restored checkpoint were committed before the job
    // started; anything else of this subtask is from an aborted attempt.
    let mine = "\(prefix)-\(subtask)-"
    for name in (try? FileManager.default.contentsOfDirectory(atPath: inProgressDirectory)) ?? []
    where name.hasPrefix(mine) {
      try? FileManager.default.removeItem(atPath: "\(inProgressDirectory)/\(name)")
    }
  }

  public func write(_ batch: [T]) throws {
    if current == nil {
      sequence += 1
      let name = "\(prefix)-\(subtask)-\(attempt)-\(sequence)"
      guard let file = fopen("\(inProgressDirectory)/\(name)", "w") else {
        throw FileSinkError(path: name, reason: String(cString: strerror(errno)))
      }
      current = (name, file)
    }
    let file = current!.file
    for record in batch {
      var line = format(record)
      line.append("\n")
      if line.withCString({ fputs($0, file) }) < 0 {
        throw FileSinkError(
          path: "\(inProgressDirectory)/\(current!.name)", reason: String(cString: strerror(errno)))
      }
    }
  }

  public func snapshotState(checkpoint: Int64) throws -> [UInt8]? {
    checkpointing = true
    try preCommit(as: "\(prefix)-\(subtask)-\(checkpoint).\(fileExtension)")
    // Drop transactions already committed.
    pending.removeAll { FileManager.default.fileExists(atPath: "\(directory)/\($0.second)") }
    return pending.encodedBytes()
  }

  public func finish() throws {
    try preCommit(as: "\(prefix)-\(subtask)-end.\(fileExtension)")
    if !checkpointing {
      // No checkpoints: the end of input is the only commit point.
      try Self.commit(pending, in: directory)
      pending = []
    }
  }

  public func finalState() throws -> [UInt8]? { pending.encodedBytes() }

  public func close() {
    if let current { fclose(current.file) }
    current = nil
  }

  /// Flushes, syncs and closes the in-progress file as a transaction named `finalName`.
  func preCommit(as finalName: String) throws {
    guard let (name, file) = current else { return }
    current = nil
    let path = "\(inProgressDirectory)/\(name)"
    guard fflush(file) == 0, fsync(fileno(file)) == 0 else {
      let reason = String(cString: strerror(errno))
      fclose(file)
      throw FileSinkError(path: path, reason: reason)
    }
    fclose(file)
    pending.append(FileTransaction(name, finalName))
  }

  /// Commits transactions by atomic rename; already committed ones are skipped.
  /// - Throws: ``FileSinkError`` when a transaction's file is gone (it was
  ///   neither committed nor kept): committed output would be incomplete.
  static func commit(_ transactions: [FileTransaction], in directory: String) throws {
    for transaction in transactions {
      let source = "\(directory)/.inprogress/\(transaction.first)"
      let target = "\(directory)/\(transaction.second)"
      if FileManager.default.fileExists(atPath: source) {
        guard rename(source, target) == 0 else {
          throw FileSinkError(path: target, reason: String(cString: strerror(errno)))
        }
      } else if !FileManager.default.fileExists(atPath: target) {
        throw FileSinkError(
          path: source,
          reason:
            "the pre-committed file of a completed checkpoint is missing (was the output "
            + "directory changed or cleaned between runs?)")
      }
    }
    CommittedFiles.syncDirectory(directory)
  }
}

extension DataStream {
  /// Writes one line per record (`format(record)`) to files in `directory`,
  /// exactly once with checkpoints (see ``TransactionalFileSink``): committed
  /// files are `<prefix>-<subtask>-<checkpoint>.<ext>` (`<prefix>-i<I>-…` in
  /// instance `I` of a scaled-out job); in-progress files are hidden under
  /// `.inprogress/`.
  @discardableResult
  public func writeTransactional(
    directory: String, prefix: String = "part", fileExtension: String = "csv",
    name: String = "TransactionalFileSink", format: @escaping @Sendable (T) -> String
  ) -> StreamSinkHandle {
    // Instances of a scaled-out job may share the directory: each names its
    // files (and recovers) on its own.
    let prefix = environment.configuration.instances.scoped(prefix)
    let factory: SinkFactory<T> = { _ in
      SinkKernel(
        TransactionalFileSink(
          directory: directory, prefix: prefix, fileExtension: fileExtension, format: format))
    }
    let transactions = SinkTransactions(
      commit: { bytes in
        let transactions = try [FileTransaction].decode(bytes)
        try TransactionalFileSink<T>.commit(transactions, in: directory)
      },
      supersede: { resumedFrom, resumedFinished in
        try CommittedFiles(directory: directory, prefix: prefix, fileExtension: fileExtension)
          .moveAside(after: resumedFrom, keepingEnd: resumedFinished)
      })
    let node = environment.addNode(
      name: name, inputs: [edge],
      role: NodeRole<T, Never>.sink(factory, transactions: transactions))
    return StreamSinkHandle(node: node)
  }
}
