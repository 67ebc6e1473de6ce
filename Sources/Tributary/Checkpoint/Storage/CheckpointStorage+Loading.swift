import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension CheckpointStorage {
  /// Ids of the checkpoints (not savepoints) that have a `_metadata` file,
  /// ascending. Cheap (no file is read) and therefore unverified: use
  /// ``loadLatestValid(verifyChecksums:)`` to find one that can be restored.
  /// Returns `[]` if the directory cannot be listed.
  public func completedCheckpoints() -> [Int64] {
    guard let names = try? DurableFileIO.list(root) else { return [] }
    return names.compactMap { name -> Int64? in
      guard let id = CheckpointLayout.id(inDirectoryName: name, kind: .checkpoint),
        (try? DurableFileIO.status(path(name + "/" + CheckpointLayout.metadataFileName))) != nil
      else { return nil }
      return id
    }.sorted()
  }

  /// The newest checkpoint that can be restored, and the newer ones that
  /// were skipped, each with the reason (newest first).
  ///
  /// Checkpoints are tried from the newest id down. One is usable when its
  /// `_metadata` is intact (length and checksum match, it decodes, its id and
  /// kind match its directory) and every file it references exists with the
  /// recorded size and, if `verifyChecksums` (the default), the recorded
  /// CRC-32C. A directory without `_metadata` (a checkpoint that never
  /// completed, e.g. only a leftover temporary file) is skipped as incomplete.
  ///
  /// - Returns: `nil` when the directory holds no committed checkpoint at
  ///   all, i.e. no `chk-<id>/_metadata` exists: there is nothing to restore and
  ///   the job starts fresh (directories of checkpoints that never completed
  ///   do not count; nothing was ever promised from them).
  /// - Throws: ``CheckpointStorageError/noUsableCheckpoint(directory:reasons:)``
  ///   when at least one `_metadata` exists but no checkpoint is usable, so
  ///   broken checkpoints never look like an empty directory; I/O errors other
  ///   than missing files as ``CheckpointStorageError/io(operation:path:errno:)``.
  ///
  /// Savepoints are not considered; open one with ``load(path:verifyChecksums:)``.
  /// Read-only; safe to call concurrently with writers of other checkpoints.
  public func loadLatestValid(verifyChecksums: Bool = true) throws(CheckpointStorageError)
    -> (metadata: CheckpointMetadata, skipped: [(id: Int64, reason: String)])?
  {
    var skipped: [(id: Int64, reason: String)] = []
    var anyCommitted = false
    let (inProgress, completed) = registry.withLock {
      (Set($0.pending.keys), $0.timeline.highestCompletedID)
    }
    for entry in try scan(.checkpoint) {
      if case .missing = entry.outcome {} else { anyCommitted = true }
      switch try verdict(
        kind: .checkpoint, id: entry.id, outcome: entry.outcome,
        name: CheckpointLayout.directory(kind: .checkpoint, id: entry.id),
        highestCompletedID: completed, inProgress: inProgress, verifyChecksums: verifyChecksums)
      {
      case .usable(let metadata): return (metadata, skipped)
      case .skipped(let reason): skipped.append((entry.id, reason))
      }
    }
    guard anyCommitted else { return nil }
    throw .noUsableCheckpoint(directory: root, reasons: skipped.map(\.reason))
  }

  /// Opens the checkpoint or savepoint at `path`: a `chk-<id>` directory, a
  /// `savepoints/sp-<id>` directory, or the `_metadata` file inside one. It
  /// may lie in another checkpoint root than this storage's; files are
  /// resolved against the root that contains it. Verifies the metadata and
  /// every referenced file exactly like ``loadLatestValid(verifyChecksums:)``.
  ///
  /// - Throws: ``CheckpointStorageError/notCommitted(path:)`` if there is no
  ///   `_metadata`, ``CheckpointStorageError/corruptMetadata(path:reason:)`` if
  ///   it is damaged, ``CheckpointStorageError/unusableCheckpoint(path:reason:)``
  ///   if a referenced file is missing or damaged, and
  ///   ``CheckpointStorageError/invalidArgument(_:)`` if `path` is not named
  ///   like a checkpoint or savepoint directory.
  public func load(path: URL, verifyChecksums: Bool = true) throws(CheckpointStorageError)
    -> CheckpointMetadata
  {
    let directory = Self.checkpointDirectory(of: path)
    let name = String(directory.split(separator: "/").last ?? "")
    let parent = DurableFileIO.parentPath(of: directory)
    let kind: CheckpointMetadata.Kind
    let id: Int64
    let root: String
    if let checkpointID = CheckpointLayout.id(inDirectoryName: name, kind: .checkpoint) {
      (kind, id, root) = (.checkpoint, checkpointID, parent)
    } else if let savepointID = CheckpointLayout.id(inDirectoryName: name, kind: .savepoint),
      parent.hasSuffix("/" + CheckpointLayout.savepointsDirectoryName)
    {
      (kind, id, root) = (.savepoint, savepointID, DurableFileIO.parentPath(of: parent))
    } else {
      throw .invalidArgument(
        "\(directory) is neither a checkpoint directory (<root>/chk-<id>) nor a savepoint "
          + "directory (<root>/savepoints/sp-<id>)")
    }
    guard try DurableFileIO.status(directory)?.isDirectory == true else {
      throw .io(operation: "open checkpoint directory", path: directory, errno: ENOENT)
    }
    switch try CheckpointMetadataFile.read(directory: directory) {
    case .missing:
      throw .notCommitted(path: directory)
    case .damaged(let reason):
      throw .corruptMetadata(
        path: directory + "/" + CheckpointLayout.metadataFileName, reason: reason)
    case .intact(let metadata):
      if let reason = try Self.problem(
        with: metadata, kind: kind, id: id, root: root, verifyChecksums: verifyChecksums)
      {
        throw .unusableCheckpoint(path: directory, reason: reason)
      }
      return metadata
    }
  }

  /// Whether a checkpoint or savepoint can be restored, and if not why.
  enum Verdict {
    /// Its metadata is intact and every file it references checks out.
    case usable(CheckpointMetadata)
    /// Why it cannot be restored, starting with its `name`.
    case skipped(String)
  }

  /// The verdict on (`kind`, `id`) of this root, whose `_metadata` read as
  /// `outcome`; `name` names it in the reason. A missing `_metadata` of
  /// `highestCompletedID` is reported as lost rather than never completed.
  /// Throws only for unexpected I/O errors.
  func verdict(
    kind: CheckpointMetadata.Kind, id: Int64, outcome: CheckpointMetadataFile.Outcome,
    name: String, highestCompletedID: Int64, inProgress: Set<Key>, verifyChecksums: Bool
  ) throws(CheckpointStorageError) -> Verdict {
    switch outcome {
    case .missing:
      let state =
        id == highestCompletedID
        ? "it completed, but its _metadata is gone (deleted or lost)"
        : inProgress.contains(Key(kind: kind, id: id))
          ? "in progress" : "never completed (the job stopped while taking it)"
      return .skipped("\(name): incomplete, no _metadata; \(state)")
    case .damaged(let reason):
      return .skipped("\(name): \(reason)")
    case .intact(let metadata):
      if let reason = try Self.problem(
        with: metadata, kind: kind, id: id, root: root, verifyChecksums: verifyChecksums)
      {
        return .skipped("\(name): \(reason)")
      }
      return .usable(metadata)
    }
  }

  /// The absolute checkpoint or savepoint directory `path` names: standardised,
  /// without trailing slashes, and without a final `_metadata` component.
  public static func checkpointDirectory(of path: URL) -> String {
    var directory = path.standardizedFileURL.path
    while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
    if directory.hasSuffix("/" + CheckpointLayout.metadataFileName) {
      directory = DurableFileIO.parentPath(of: directory)
    }
    return directory
  }

  /// Why intact `metadata` found in the directory of (`kind`, `id`) under
  /// `root` cannot be restored, or `nil`. Each file is checked once, however
  /// many tasks reference it. Throws only for unexpected I/O errors.
  static func problem(
    with metadata: CheckpointMetadata, kind: CheckpointMetadata.Kind, id: Int64, root: String,
    verifyChecksums: Bool
  ) throws(CheckpointStorageError) -> String? {
    guard metadata.id == id, metadata.kind == kind else {
      return "_metadata describes \(metadata.kind) \(metadata.id), not \(kind) \(id) "
        + "(was the directory renamed or copied?)"
    }
    if let reason = problemInStructure(of: metadata) {
      return "_metadata is inconsistent: \(reason)"
    }
    var verified: [String: FileFingerprint] = [:]
    for task in metadata.tasks {
      for file in task.files {
        let owner = "task \(task.operatorID)[\(task.subtaskIndex)]"
        if let reason = CheckpointLayout.problem(with: file, kind: kind, id: id) {
          return "\(owner): \(reason)"
        }
        let actual: FileFingerprint
        if let known = verified[file.path] {
          actual = known
        } else {
          let full = root + "/" + file.path
          guard let status = try DurableFileIO.status(full), status.isRegularFile else {
            return "missing file \(file.path) (referenced by \(owner))"
          }
          if status.size != file.size || !verifyChecksums {
            actual = FileFingerprint(size: status.size, checksum: file.checksum)
          } else {
            do {
              actual = try DurableFileIO.fingerprint(ofFileAt: full)
            } catch {
              return "file \(file.path) cannot be read: \(error)"
            }
          }
          verified[file.path] = actual
        }
        if actual.size != file.size {
          return "file \(file.path) has \(actual.size) bytes, expected \(file.size) "
            + "(truncated or overwritten; referenced by \(owner))"
        }
        if actual.checksum != file.checksum {
          return "file \(file.path) is corrupted: crc32c \(CRC32C.hex(actual.checksum)), "
            + "expected \(CRC32C.hex(file.checksum)) (referenced by \(owner))"
        }
      }
    }
    return nil
  }
}
