import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Checkpoint storage in a directory on the local disk.
///
/// Layout (see ``CheckpointLayout``): `chk-<id>/` holds files private to
/// checkpoint `id`, `shared/` holds files several checkpoints reference (the
/// unchanged SST files of incremental RocksDB snapshots), `savepoints/sp-<id>/`
/// holds savepoints, and `<checkpoint>/_metadata` is written last by
/// ``commit(_:)``: a checkpoint is complete exactly when its `_metadata` is in
/// place and intact.
///
/// Guarantees:
/// - **Atomicity.** Every file appears under its final name only complete and
///   fsynced: it is written to a `.tmp-` file, fsynced, renamed, and the
///   directory is fsynced. A crash leaves at most temporary files inside a
///   checkpoint's own directory, which ``abort(id:kind:)`` and
///   ``retain(latest:)`` remove.
/// - **Integrity.** Every file has a size and CRC-32C recorded in the metadata,
///   and the metadata has a checksum of its own; ``loadLatestValid(verifyChecksums:)``
///   verifies all of them and skips, with a reason, whatever is damaged.
/// - **Sharing.** A shared file is deleted only when no committed checkpoint,
///   no savepoint and no checkpoint still in progress in this process
///   references it. Reference counts are recomputed from the committed
///   metadata on disk, so they survive restarts.
/// - **Thread-safety.** The type is `Sendable`: subtasks may write their files
///   concurrently from any threads. Decisions about shared files, commits,
///   aborts and retention are serialised by an internal lock. One process owns
///   a checkpoint directory at a time: a running job holds the directory's
///   ``CheckpointDirectoryLock`` (the storage itself takes no lock).
/// - **Failure.** Every operation throws ``CheckpointStorageError`` with the
///   path involved and what to do; a failed write leaves no file under the
///   final name.
public final class CheckpointStorage: Sendable {
  /// The checkpoint root directory.
  public let directory: URL
  /// `directory` as an absolute path without a trailing slash.
  let root: String
  let registry: Mutex<Registry>

  /// A checkpoint or savepoint id.
  struct Key: Hashable, Sendable {
    var kind: CheckpointMetadata.Kind
    var id: Int64
  }

  /// In-memory knowledge of this process.
  struct Registry: Sendable {
    /// Checkpoints being written (not committed or aborted yet) and the shared
    /// files they have written or reused so far.
    var pending: [Key: Set<String>] = [:]
    /// Fingerprints of shared files this process wrote or verified, so
    /// reusing one does not re-read it.
    var knownShared: [String: FileFingerprint] = [:]
    /// Private files (relative paths) that checkpoints in progress wrote:
    /// what an abort removes.
    var pendingPrivate: [Key: Set<String>] = [:]
    /// The directory's history (`_timeline`), as read at open and updated since.
    var timeline = CheckpointTimeline()
  }

  /// Why the `_timeline` file could not be read when the storage was opened
  /// (it is then rebuilt from the directories on disk), or `nil`.
  public let timelineWarning: String?

  /// Opens (creating if needed) the checkpoint root `directory` with its
  /// `shared/` and `savepoints/` subdirectories. Creation is fsynced. Throws
  /// ``CheckpointStorageError/io(operation:path:errno:)`` if the directories
  /// cannot be created.
  public init(directory: URL) throws(CheckpointStorageError) {
    var path = directory.standardizedFileURL.path
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    self.root = path
    self.directory = URL(fileURLWithPath: path, isDirectory: true)
    try DurableFileIO.makeDirectories(path, below: "/")
    try DurableFileIO.makeDirectories(
      path + "/" + CheckpointLayout.sharedDirectoryName, below: path)
    try DurableFileIO.makeDirectories(
      path + "/" + CheckpointLayout.savepointsDirectoryName, below: path)
    var registry = Registry()
    let read = try Self.readTimeline(root: path)
    registry.timeline = read.timeline
    timelineWarning = read.warning
    self.registry = Mutex(registry)
  }

  /// The private directory of checkpoint (or savepoint) `id`, created and
  /// fsynced if needed. Until ``commit(_:)`` or ``abort(id:kind:)``, the
  /// checkpoint counts as in progress: retention does not delete it.
  public func privateDirectory(for id: Int64, kind: CheckpointMetadata.Kind = .checkpoint)
    throws(CheckpointStorageError) -> URL
  {
    URL(
      fileURLWithPath: try preparePrivateDirectory(Key(kind: kind, id: id), forWriting: false),
      isDirectory: true)
  }

  /// Writes `bytes` as file `name` of checkpoint `id` and returns its
  /// reference (path relative to the root, size, CRC-32C).
  ///
  /// A private file goes to `chk-<id>/<name>` (replacing an earlier file of
  /// that name atomically). A shared file goes to `shared/<name>`; if an
  /// identical file (same size and checksum) is already there it is reused, if
  /// a different one is there and a checkpoint references it the call throws
  /// ``CheckpointStorageError/sharedFileConflict(path:existingSize:existingChecksum:newSize:newChecksum:)``.
  /// `name` may contain `/` to use subdirectories. The file is fsynced and
  /// renamed into place before this returns; on failure nothing appears
  /// under the final name. A committed checkpoint is immutable: writing to it
  /// throws ``CheckpointStorageError/alreadyCommitted(kind:id:)``.
  public func writeFile(
    checkpoint id: Int64, name: String, bytes: [UInt8], shared: Bool = false,
    kind: CheckpointMetadata.Kind = .checkpoint
  ) throws(CheckpointStorageError) -> CheckpointFileRef {
    let name = try CheckpointLayout.validate(name: name)
    let key = Key(kind: kind, id: id)
    let privateDirectory = try preparePrivateDirectory(key)
    let fingerprint = FileFingerprint(of: bytes)
    if shared {
      return try placeShared(
        name: name, key: key, privateDirectory: privateDirectory,
        sourceFingerprint: { () throws(CheckpointStorageError) in fingerprint },
        writeTemporary: { (temporary) throws(CheckpointStorageError) in
          try DurableFileIO.writeNewFile(temporary, bytes: bytes)
          return fingerprint
        })
    }
    let relative = CheckpointLayout.directory(kind: kind, id: id) + "/" + name
    let written = try writePrivate(relative, key: key) {
      (temporary) throws(CheckpointStorageError) in
      try DurableFileIO.writeNewFile(temporary, bytes: bytes)
      return fingerprint
    }
    return CheckpointFileRef(
      path: relative, size: written.size, checksum: written.checksum, shared: false)
  }

  /// Copies the file at `source` into checkpoint `id` as `name`, computing its
  /// CRC-32C while copying, and returns its reference.
  ///
  /// For a shared file, if `shared/<name>` already exists with the same size
  /// and checksum as `source`, it is reused without copying (incremental
  /// checkpoints: an unchanged SST file is stored once). Otherwise the same
  /// rules as ``writeFile(checkpoint:name:bytes:shared:kind:)`` apply. The
  /// copy is fsynced and renamed into place before this returns.
  public func copyFile(
    from source: URL, checkpoint id: Int64, name: String, shared: Bool = false,
    kind: CheckpointMetadata.Kind = .checkpoint
  ) throws(CheckpointStorageError) -> CheckpointFileRef {
    let name = try CheckpointLayout.validate(name: name)
    let key = Key(kind: kind, id: id)
    let privateDirectory = try preparePrivateDirectory(key)
    let sourcePath = source.standardizedFileURL.path
    if shared {
      return try placeShared(
        name: name, key: key, privateDirectory: privateDirectory,
        sourceFingerprint: { () throws(CheckpointStorageError) in
          try DurableFileIO.fingerprint(ofFileAt: sourcePath)
        },
        writeTemporary: { (temporary) throws(CheckpointStorageError) in
          try DurableFileIO.copyFile(from: sourcePath, to: temporary)
        })
    }
    let relative = CheckpointLayout.directory(kind: kind, id: id) + "/" + name
    let written = try writePrivate(relative, key: key) {
      (temporary) throws(CheckpointStorageError) in
      try DurableFileIO.copyFile(from: sourcePath, to: temporary)
    }
    return CheckpointFileRef(
      path: relative, size: written.size, checksum: written.checksum, shared: false)
  }

  /// Registers a file that someone else already placed at its final location
  /// (`chk-<id>/<name>`, or `shared/<name>` when `shared`), e.g. by hard-linking
  /// a RocksDB checkpoint file. Reads it to compute its checksum, fsyncs it and
  /// its directory, and returns its reference. Throws
  /// ``CheckpointStorageError/io(operation:path:errno:)`` (`ENOENT`) if the file
  /// is not there, and a shared-file conflict if a shared file this process
  /// knows under that name had other content and is still referenced.
  ///
  /// A file linked into `shared/` is not protected from ``retain(latest:)``
  /// until this call returns; link shared files while no retention runs, or
  /// use ``copyFile(from:checkpoint:name:shared:kind:)``, which is atomic.
  public func registerExistingFile(
    checkpoint id: Int64, name: String, shared: Bool = false,
    kind: CheckpointMetadata.Kind = .checkpoint
  ) throws(CheckpointStorageError) -> CheckpointFileRef {
    let name = try CheckpointLayout.validate(name: name)
    let key = Key(kind: kind, id: id)
    _ = try preparePrivateDirectory(key)
    let relative =
      shared
      ? CheckpointLayout.sharedDirectoryName + "/" + name
      : CheckpointLayout.directory(kind: kind, id: id) + "/" + name
    let full = path(relative)
    guard let status = try DurableFileIO.status(full), status.isRegularFile else {
      throw .io(operation: "register checkpoint file", path: full, errno: ENOENT)
    }
    let fingerprint = try DurableFileIO.fingerprint(ofFileAt: full)
    try DurableFileIO.syncFile(full)
    try DurableFileIO.syncDirectory(DurableFileIO.parentPath(of: full))
    if !shared {
      registry.withLock { _ = $0.pendingPrivate[key, default: []].insert(relative) }
    }
    if shared {
      try registry.withLock { (registry: inout Registry) throws(CheckpointStorageError) in
        if let known = registry.knownShared[relative], known != fingerprint,
          try isReferenced(relative, registry: registry, excluding: key)
        {
          throw .sharedFileConflict(
            path: relative, existingSize: known.size, existingChecksum: known.checksum,
            newSize: fingerprint.size, newChecksum: fingerprint.checksum)
        }
        registry.knownShared[relative] = fingerprint
        registry.pending[key, default: []].insert(relative)
      }
    }
    return CheckpointFileRef(
      path: relative, size: fingerprint.size, checksum: fingerprint.checksum, shared: shared)
  }

  /// Completes a checkpoint by writing its `_metadata` atomically: the
  /// encoded metadata (with a header holding its length and CRC-32C) goes to
  /// a temporary file in the checkpoint's directory, which is fsynced, renamed
  /// to `_metadata`, and the directory is fsynced. Only when this returns is
  /// the checkpoint complete; if it throws, the checkpoint is not complete.
  ///
  /// Before writing, every referenced file is checked to exist with its
  /// recorded size and to lie in this checkpoint's directory or `shared/`
  /// (``CheckpointStorageError/invalidMetadata(id:reason:)`` otherwise).
  /// Committing an id twice throws ``CheckpointStorageError/alreadyCommitted(kind:id:)``.
  public func commit(_ metadata: CheckpointMetadata) throws(CheckpointStorageError) {
    let key = Key(kind: metadata.kind, id: metadata.id)
    guard metadata.id >= 0 else {
      throw .invalidArgument("checkpoint id \(metadata.id) is negative")
    }
    let directory = path(CheckpointLayout.directory(kind: key.kind, id: key.id))
    let final = directory + "/" + CheckpointLayout.metadataFileName
    if try DurableFileIO.status(final) != nil {
      throw .alreadyCommitted(kind: key.kind, id: key.id)
    }
    if let reason = try problemBeforeCommit(metadata) {
      throw .invalidMetadata(id: metadata.id, reason: reason)
    }
    let bytes = try CheckpointMetadataFile.encode(metadata)
    try DurableFileIO.makeDirectories(directory, below: root)
    let temporary =
      directory + "/" + CheckpointLayout.temporaryPrefix + "metadata-" + UUID().uuidString
    do {
      try DurableFileIO.writeNewFile(temporary, bytes: bytes)
    } catch {
      try? DurableFileIO.removeFile(temporary)
      throw error
    }
    defer { try? DurableFileIO.removeFile(temporary) }
    try registry.withLock { (registry: inout Registry) throws(CheckpointStorageError) in
      if try DurableFileIO.status(final) != nil {
        throw .alreadyCommitted(kind: key.kind, id: key.id)
      }
      try DurableFileIO.rename(temporary, to: final)
      try DurableFileIO.syncDirectory(directory)
      registry.pending[key] = nil
      registry.pendingPrivate[key] = nil
      for file in metadata.allFiles where file.shared {
        registry.knownShared[file.path] = FileFingerprint(file)
      }
      // The timeline learns of the completion before anyone is told of it; a
      // failure here leaves the checkpoint complete (its _metadata is in place).
      registry.timeline.completed(key.id)
      try? writeTimeline(registry.timeline, syncRoot: false)
      try DurableFileIO.syncDirectory(DurableFileIO.parentPath(of: directory))
    }
  }

  /// Abandons this process's attempt at checkpoint (or savepoint) `id`:
  /// deletes the private files the attempt wrote (and temporary files in its
  /// directory), the directory itself once nothing else is left in it, and
  /// every shared file the attempt wrote or reused that no committed
  /// checkpoint, savepoint or checkpoint in progress references.
  ///
  /// Never deletes what completed: if `id` has a `_metadata` (another
  /// attempt committed it), its directory and every file its metadata
  /// references are left alone; only retention removes complete checkpoints.
  /// Files this process did not write (a directory left by a process killed
  /// mid-checkpoint) are left to ``removeIncompleteCheckpoints()`` at the next
  /// start and to retention. Aborting an id that does not exist does nothing.
  /// Deletions are fsynced. If it throws part-way, retention finishes the job.
  public func abort(id: Int64, kind: CheckpointMetadata.Kind = .checkpoint)
    throws(CheckpointStorageError)
  {
    let key = Key(kind: kind, id: id)
    let directory = path(CheckpointLayout.directory(kind: kind, id: id))
    try registry.withLock { (registry: inout Registry) throws(CheckpointStorageError) in
      let candidates = registry.pending.removeValue(forKey: key) ?? []
      let written = registry.pendingPrivate.removeValue(forKey: key) ?? []
      let committed =
        try DurableFileIO.status(directory + "/" + CheckpointLayout.metadataFileName) != nil
      if !committed {
        for relative in written.sorted() { try DurableFileIO.removeFile(path(relative)) }
        for name in try DurableFileIO.list(directory)
        where name.hasPrefix(CheckpointLayout.temporaryPrefix) {
          try DurableFileIO.removeFile(directory + "/" + name)
        }
        if try DurableFileIO.listFilesRecursively(directory).isEmpty {
          try DurableFileIO.removeTree(directory)
        }
        try DurableFileIO.syncDirectory(DurableFileIO.parentPath(of: directory))
      }
      let referenced = try referencedSharedFiles(registry: registry)
      try deleteSharedFiles(candidates.subtracting(referenced), registry: &registry)
    }
  }

  // MARK: - Internals shared with the extensions

  /// The absolute path of `relative` (relative to the root).
  func path(_ relative: String) -> String { root + "/" + relative }

  /// Creates the private directory of `key` and marks it in progress unless
  /// it is already committed. Returns its absolute path. With `forWriting`,
  /// a committed checkpoint (immutable) is refused.
  func preparePrivateDirectory(_ key: Key, forWriting: Bool = true)
    throws(CheckpointStorageError) -> String
  {
    guard key.id >= 0 else { throw .invalidArgument("checkpoint id \(key.id) is negative") }
    let directory = path(CheckpointLayout.directory(kind: key.kind, id: key.id))
    try DurableFileIO.makeDirectories(directory, below: root)
    let committed =
      try DurableFileIO.status(directory + "/" + CheckpointLayout.metadataFileName) != nil
    if committed && forWriting { throw .alreadyCommitted(kind: key.kind, id: key.id) }
    if !committed {
      registry.withLock { registry in
        if registry.pending[key] == nil { registry.pending[key] = [] }
        registry.timeline.used(key.id)
      }
    }
    return directory
  }

  /// Writes a private file of `key` through a temporary file next to it,
  /// and records it as written by this attempt.
  private func writePrivate(
    _ relative: String, key: Key,
    produce: (String) throws(CheckpointStorageError) -> FileFingerprint
  ) throws(CheckpointStorageError) -> FileFingerprint {
    let final = path(relative)
    let parent = DurableFileIO.parentPath(of: final)
    try DurableFileIO.makeDirectories(parent, below: root)
    let temporary = parent + "/" + CheckpointLayout.temporaryPrefix + UUID().uuidString
    do {
      let fingerprint = try produce(temporary)
      try DurableFileIO.rename(temporary, to: final)
      try DurableFileIO.syncDirectory(parent)
      registry.withLock { _ = $0.pendingPrivate[key, default: []].insert(relative) }
      return fingerprint
    } catch {
      try? DurableFileIO.removeFile(temporary)
      throw error
    }
  }

  /// Checkpoint or savepoint directories present on disk with what their
  /// `_metadata` holds, newest first.
  func scan(_ kind: CheckpointMetadata.Kind) throws(CheckpointStorageError)
    -> [(id: Int64, outcome: CheckpointMetadataFile.Outcome)]
  {
    let parent =
      kind == .checkpoint ? root : path(CheckpointLayout.savepointsDirectoryName)
    var result: [(id: Int64, outcome: CheckpointMetadataFile.Outcome)] = []
    for name in try DurableFileIO.list(parent) {
      guard let id = CheckpointLayout.id(inDirectoryName: name, kind: kind),
        try DurableFileIO.status(parent + "/" + name)?.isDirectory == true
      else { continue }
      result.append((id, try CheckpointMetadataFile.read(directory: parent + "/" + name)))
    }
    return result.sorted { $0.id > $1.id }
  }

  /// Why `metadata` cannot be committed as it stands, or `nil`.
  private func problemBeforeCommit(_ metadata: CheckpointMetadata) throws(CheckpointStorageError)
    -> String?
  {
    if let reason = Self.problemInStructure(of: metadata) { return reason }
    for task in metadata.tasks {
      for file in task.files {
        if let reason = CheckpointLayout.problem(with: file, kind: metadata.kind, id: metadata.id) {
          return reason
        }
        guard let status = try DurableFileIO.status(path(file.path)), status.isRegularFile else {
          return "file \(file.path) of task \(task.operatorID)[\(task.subtaskIndex)] does not exist"
        }
        if status.size != file.size {
          return "file \(file.path) has \(status.size) bytes but its reference says \(file.size)"
        }
      }
    }
    return nil
  }

  /// Why the tasks of `metadata` are inconsistent (parallelism, key groups), or `nil`.
  static func problemInStructure(of metadata: CheckpointMetadata) -> String? {
    guard metadata.maxParallelism > 0 else {
      return "maxParallelism is \(metadata.maxParallelism), it must be positive"
    }
    for task in metadata.tasks {
      let name = "task \(task.operatorID)[\(task.subtaskIndex)]"
      guard task.parallelism > 0, (0..<task.parallelism).contains(task.subtaskIndex) else {
        return
          "\(name) has subtask index \(task.subtaskIndex) outside parallelism \(task.parallelism)"
      }
      if let range = task.keyGroupRange,
        range.lowerBound < 0 || range.upperBound >= metadata.maxParallelism
      {
        return "\(name) has key groups \(range) outside 0..<\(metadata.maxParallelism)"
      }
    }
    return nil
  }
}
