#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Everything that can go wrong in ``CheckpointStorage``.
///
/// Every case carries the path or checkpoint id involved, and ``description``
/// says what happened and what to do about it, so callers can print the error
/// as is. Errors are values (`Sendable`, `Equatable`); throwing one never leaves
/// a half-written file under a final name (see ``CheckpointStorage``).
public enum CheckpointStorageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call failed (`errno` is the C error number).
  case io(operation: String, path: String, errno: Int32)
  /// A file name given to the storage cannot be used (empty, absolute, `..`,
  /// hidden, or the reserved `_metadata`).
  case invalidFileName(name: String, reason: String)
  /// An argument is out of range (negative checkpoint id, retained count < 1).
  case invalidArgument(String)
  /// A shared file with this name already exists, is referenced by a
  /// checkpoint, and has different content.
  case sharedFileConflict(
    path: String, existingSize: Int64, existingChecksum: UInt32, newSize: Int64, newChecksum: UInt32
  )
  /// `commit` was called for a checkpoint that already has a `_metadata` file.
  case alreadyCommitted(kind: CheckpointMetadata.Kind, id: Int64)
  /// Metadata to be committed is inconsistent with the files on disk (a file it
  /// references is missing, has another size, or lies outside its directory).
  case invalidMetadata(id: Int64, reason: String)
  /// The `_metadata` file could not be encoded.
  case metadataEncodingFailed(id: Int64, reason: String)
  /// The directory given to ``CheckpointStorage/load(path:verifyChecksums:)``
  /// has no `_metadata`: the checkpoint was never completed.
  case notCommitted(path: String)
  /// The `_metadata` file exists but is truncated, edited or undecodable.
  case corruptMetadata(path: String, reason: String)
  /// The metadata is intact but a file it references is missing or damaged.
  case unusableCheckpoint(path: String, reason: String)
  /// The directory holds committed checkpoints but none of them is usable.
  /// `reasons` has one line per skipped checkpoint, newest first.
  case noUsableCheckpoint(directory: String, reasons: [String])
  /// Another process (or another job of this process) holds the directory's
  /// ``CheckpointDirectoryLock``: `holder` is what it wrote into the lock file
  /// ("pid P on host H"), `holderPID` its pid when the description has one.
  case directoryInUse(directory: String, holder: String, holderPID: Int32?)

  /// What went wrong and what to do about it.
  public var description: String {
    switch self {
    case .io(let operation, let path, let code):
      let message = String(cString: strerror(code))
      return "checkpoint storage could not \(operation) \(path): \(message) (errno \(code)). "
        + Self.advice(forErrno: code)
    case .invalidFileName(let name, let reason):
      return "invalid checkpoint file name '\(name)': \(reason). Use a relative name made of "
        + "plain components such as 'op-3/000012.sst' (no '..', no leading '.', not '_metadata')."
    case .invalidArgument(let message):
      return "invalid checkpoint storage argument: \(message)"
    case .sharedFileConflict(let path, let oldSize, let oldSum, let newSize, let newSum):
      return "shared checkpoint file \(path) already exists with different content "
        + "(\(oldSize) bytes, crc32c \(CRC32C.hex(oldSum)); new: \(newSize) bytes, crc32c \(CRC32C.hex(newSum))) "
        + "and a checkpoint still references it. Shared file names must identify their content: "
        + "prefix them with the operator id, subtask and backend instance (e.g. "
        + "'<operator>-<subtask>-<uuid>/000012.sst')."
    case .alreadyCommitted(let kind, let id):
      return "\(kind) \(id) is already complete (its _metadata exists). Checkpoint ids must be "
        + "unique; take the next id from the coordinator instead of re-committing."
    case .invalidMetadata(let id, let reason):
      return "cannot commit checkpoint \(id): \(reason). Write every file (writeFile/copyFile/"
        + "registerExistingFile) before committing and use the returned references unchanged."
    case .metadataEncodingFailed(let id, let reason):
      return "cannot encode the metadata of checkpoint \(id): \(reason)"
    case .notCommitted(let path):
      return "\(path) has no _metadata: the checkpoint was never completed (the job probably "
        + "failed while it was being taken). Restore from another checkpoint or savepoint."
    case .corruptMetadata(let path, let reason):
      return "the metadata \(path) is damaged: \(reason). This checkpoint cannot be restored; "
        + "restore from an older checkpoint or a savepoint."
    case .unusableCheckpoint(let path, let reason):
      return "the checkpoint \(path) cannot be restored: \(reason). Restore from an older "
        + "checkpoint or a savepoint, and check the disk holding the checkpoint directory."
    case .noUsableCheckpoint(let directory, let reasons):
      return "no usable checkpoint in \(directory); every one was skipped:\n"
        + reasons.map { "  - \($0)" }.joined(separator: "\n")
        + "\nRestore from a savepoint (savepoints/sp-<id>), or start without state (--fresh) "
        + "after moving the directory aside."
    case .directoryInUse(let directory, let holder, _):
      return "the checkpoint directory \(directory) is in use by \(holder). Two processes "
        + "checkpointing into one directory would corrupt each other's checkpoints: stop that "
        + "process first, or give this one another --checkpoint-dir (instances of a scaled-out "
        + "job each use <checkpoint-dir>/instance-I)."
    }
  }

  private static func advice(forErrno code: Int32) -> String {
    switch code {
    case ENOSPC, EDQUOT:
      return "Free disk space or lower the number of retained checkpoints."
    case EACCES, EPERM, EROFS:
      return "Check that the checkpoint directory is writable by this user and not read-only."
    case ENOENT:
      return "The file or directory disappeared; make sure no other process deletes or moves "
        + "the checkpoint directory while the job runs."
    case EEXIST:
      return "A file with this name already exists; remove stale files or use a unique name."
    default:
      return "Check that the checkpoint directory is on a healthy local disk."
    }
  }
}
