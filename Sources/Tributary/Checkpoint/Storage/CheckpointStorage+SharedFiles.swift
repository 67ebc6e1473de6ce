import Foundation

/// Shared files: placing them (reusing identical ones), reference checks and deletion.
///
/// All decisions (reuse, replace, delete) are taken under the storage's lock
/// together with the registry of checkpoints in progress, so a shared file is
/// never deleted between another writer's decision to reuse it and that
/// writer's commit.
extension CheckpointStorage {
  /// Puts `shared/<name>` in place for checkpoint `key`, reusing an identical
  /// existing file. The temporary copy is written in the checkpoint's private
  /// directory, so a crash leaves it where aborting the checkpoint removes it.
  func placeShared(
    name: String, key: Key, privateDirectory: String,
    sourceFingerprint: () throws(CheckpointStorageError) -> FileFingerprint,
    writeTemporary: (String) throws(CheckpointStorageError) -> FileFingerprint
  ) throws(CheckpointStorageError) -> CheckpointFileRef {
    let relative = CheckpointLayout.sharedDirectoryName + "/" + name
    let final = path(relative)
    func reference(_ fingerprint: FileFingerprint) -> CheckpointFileRef {
      CheckpointFileRef(
        path: relative, size: fingerprint.size, checksum: fingerprint.checksum, shared: true)
    }

    // 1. An identical file is already there: reuse it without writing.
    if let existing = try DurableFileIO.status(final), existing.isRegularFile {
      let source = try sourceFingerprint()
      if existing.size == source.size,
        try existingSharedFingerprint(relative, size: existing.size) == source
      {
        let reused = try registry.withLock {
          (registry: inout Registry) throws(CheckpointStorageError) -> Bool in
          guard try DurableFileIO.status(final) != nil else { return false }  // retained away
          registry.knownShared[relative] = source
          registry.pending[key, default: []].insert(relative)
          return true
        }
        if reused { return reference(source) }
      }
    }

    // 2. Write a temporary copy, then move it into place under the lock.
    let temporary =
      privateDirectory + "/" + CheckpointLayout.temporaryPrefix + "shared-" + UUID().uuidString
    defer { try? DurableFileIO.removeFile(temporary) }  // a no-op once renamed
    let written = try writeTemporary(temporary)
    let parent = DurableFileIO.parentPath(of: final)
    try DurableFileIO.makeDirectories(parent, below: root)
    return try registry.withLock {
      (registry: inout Registry) throws(CheckpointStorageError) -> CheckpointFileRef in
      if let existing = try DurableFileIO.status(final), existing.isRegularFile {
        let current: FileFingerprint
        if let known = registry.knownShared[relative], known.size == existing.size {
          current = known
        } else {
          current = try DurableFileIO.fingerprint(ofFileAt: final)
        }
        if current == written {
          registry.knownShared[relative] = written
          registry.pending[key, default: []].insert(relative)
          return reference(written)
        }
        if try isReferenced(relative, registry: registry, excluding: key) {
          throw .sharedFileConflict(
            path: relative, existingSize: current.size, existingChecksum: current.checksum,
            newSize: written.size, newChecksum: written.checksum)
        }
        // Otherwise an orphan (e.g. left by a crash): replace it.
      }
      try DurableFileIO.rename(temporary, to: final)
      try DurableFileIO.syncDirectory(parent)
      registry.knownShared[relative] = written
      registry.pending[key, default: []].insert(relative)
      return reference(written)
    }
  }

  /// The fingerprint of an existing shared file, from memory if known with
  /// this size, else by reading it (and remembering the result).
  func existingSharedFingerprint(_ relative: String, size: Int64)
    throws(CheckpointStorageError) -> FileFingerprint
  {
    if let known = registry.withLock({ $0.knownShared[relative] }), known.size == size {
      return known
    }
    let fingerprint = try DurableFileIO.fingerprint(ofFileAt: path(relative))
    registry.withLock { $0.knownShared[relative] = fingerprint }
    return fingerprint
  }

  /// Whether a shared file is referenced by committed metadata or by a
  /// checkpoint in progress other than `excluded`.
  func isReferenced(_ relative: String, registry: Registry, excluding excluded: Key)
    throws(CheckpointStorageError) -> Bool
  {
    for (key, files) in registry.pending where key != excluded && files.contains(relative) {
      return true
    }
    return try referencedSharedFiles(registry: Registry()).contains(relative)
  }

  /// Shared files referenced by any intact committed metadata (checkpoints
  /// and savepoints) or by checkpoints in progress in `registry`.
  func referencedSharedFiles(registry: Registry) throws(CheckpointStorageError) -> Set<String> {
    var referenced = Set<String>()
    for files in registry.pending.values { referenced.formUnion(files) }
    for kind in [CheckpointMetadata.Kind.checkpoint, .savepoint] {
      for entry in try scan(kind) {
        if case .intact(let metadata) = entry.outcome {
          referenced.formUnion(metadata.allFiles.filter(\.shared).map(\.path))
        }
      }
    }
    return referenced
  }

  /// Deletes shared files (paths relative to the root) and fsyncs their directories.
  func deleteSharedFiles(_ files: Set<String>, registry: inout Registry)
    throws(CheckpointStorageError)
  {
    var directories = Set<String>()
    for relative in files.sorted() {
      try DurableFileIO.removeFile(path(relative))
      registry.knownShared[relative] = nil
      directories.insert(DurableFileIO.parentPath(of: path(relative)))
    }
    for directory in directories.sorted() { try DurableFileIO.syncDirectory(directory) }
  }
}

extension CheckpointStorage {
  /// Makes checkpoint `id` reference the shared file `file`, which an earlier
  /// checkpoint of this process wrote, without reading or copying it: the way
  /// an incremental snapshot keeps an unchanged SST file.
  ///
  /// Returns `nil` when the file is no longer there with that size (retention
  /// deleted it once no retained checkpoint referenced it); the caller then
  /// writes it anew. Once this returns the file, retention keeps it until
  /// checkpoint `id` is committed (and then as long as that is retained) or aborted.
  public func reuseSharedFile(
    _ file: CheckpointFileRef, checkpoint id: Int64, kind: CheckpointMetadata.Kind = .checkpoint
  ) throws(CheckpointStorageError) -> CheckpointFileRef? {
    guard file.shared else {
      throw .invalidArgument("only shared files can be reused, not \(file.path)")
    }
    let key = Key(kind: kind, id: id)
    _ = try preparePrivateDirectory(key)
    let full = path(file.path)
    return try registry.withLock {
      (registry: inout Registry) throws(CheckpointStorageError) -> CheckpointFileRef? in
      guard let status = try DurableFileIO.status(full), status.isRegularFile,
        status.size == file.size
      else { return nil }
      registry.knownShared[file.path] = FileFingerprint(file)
      registry.pending[key, default: []].insert(file.path)
      return file
    }
  }
}
