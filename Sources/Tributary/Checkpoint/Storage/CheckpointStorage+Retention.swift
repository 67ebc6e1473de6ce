extension CheckpointStorage {
  /// What ``retain(latest:)`` deleted.
  public struct RetentionReport: Sendable, Equatable {
    /// Checkpoint ids whose directories were deleted, ascending.
    public var deletedCheckpoints: [Int64]
    /// Shared files deleted, as paths relative to the root, sorted.
    public var deletedSharedFiles: [String]
  }

  /// Deletes what is no longer needed, keeping the newest `count` complete
  /// checkpoints (complete = intact `_metadata`; data files are not re-read).
  ///
  /// Deleted: complete checkpoints older than the newest `count`; checkpoints
  /// with a damaged `_metadata` that are older than the oldest retained one;
  /// incomplete checkpoints (no `_metadata`) older than the newest complete
  /// one, unless they are in progress in this process; and shared files that
  /// no retained checkpoint, no savepoint (with intact metadata) and no
  /// checkpoint in progress references. Savepoints are never deleted. With no
  /// complete checkpoint, no checkpoint directory is deleted.
  ///
  /// Complete checkpoints of an abandoned timeline (see ``CheckpointTimeline``)
  /// do not count among the newest `count`: they are kept until the current
  /// timeline has `count` complete checkpoints newer than them, then deleted.
  ///
  /// Checkpoint directories go first, then shared files, each deletion
  /// fsynced; if it throws part-way, the next call finishes the job, and a
  /// shared file is never deleted while something still references it.
  /// Serialised with writers of shared files by the internal lock.
  ///
  /// - Throws: ``CheckpointStorageError/invalidArgument(_:)`` if `count` < 1;
  ///   ``CheckpointStorageError/io(operation:path:errno:)`` if listing, reading
  ///   metadata or deleting fails.
  @discardableResult
  public func retain(latest count: Int = 3) throws(CheckpointStorageError) -> RetentionReport {
    guard count >= 1 else {
      throw .invalidArgument("retained checkpoint count is \(count); keep at least 1")
    }
    return try registry.withLock {
      (registry: inout Registry) throws(CheckpointStorageError) -> RetentionReport in
      let checkpoints = try scan(.checkpoint)
      let timeline = registry.timeline
      let complete = checkpoints.compactMap { entry -> Int64? in
        if case .intact = entry.outcome, !timeline.isAbandoned(entry.id) { return entry.id }
        return nil
      }
      let retained = Set(complete.prefix(count))
      let timelineIsFull = retained.count == count
      var deleted: [Int64] = []
      if let newest = complete.first, let oldestRetained = retained.min() {
        for entry in checkpoints {
          let shouldDelete: Bool
          switch entry.outcome {
          case .intact:
            shouldDelete =
              timeline.isAbandoned(entry.id)
              ? timelineIsFull && entry.id < oldestRetained : !retained.contains(entry.id)
          case .damaged: shouldDelete = entry.id < oldestRetained
          case .missing:
            shouldDelete =
              entry.id < newest && registry.pending[Key(kind: .checkpoint, id: entry.id)] == nil
          }
          if shouldDelete {
            try DurableFileIO.removeTree(
              path(CheckpointLayout.directory(kind: .checkpoint, id: entry.id)))
            deleted.append(entry.id)
          }
        }
        if !deleted.isEmpty { try DurableFileIO.syncDirectory(root) }
      }
      let referenced = try referencedSharedFiles(registry: registry)
      let sharedRoot = path(CheckpointLayout.sharedDirectoryName)
      let present = try DurableFileIO.listFilesRecursively(sharedRoot).map {
        CheckpointLayout.sharedDirectoryName + "/" + $0
      }
      let orphans = Set(present).subtracting(referenced)
      try deleteSharedFiles(orphans, registry: &registry)
      return RetentionReport(
        deletedCheckpoints: deleted.sorted(), deletedSharedFiles: orphans.sorted())
    }
  }

  /// The bytes `metadata` references in total (`full`, each file counted
  /// once) and the bytes of the files that the previous complete checkpoint
  /// (the newest one with a smaller id and intact metadata) did not reference
  /// (`incremental`: what this checkpoint actually had to write). With no
  /// previous checkpoint, or if it cannot be read, `incremental == full`.
  /// Reads at most one `_metadata`; never throws.
  public func bytes(of metadata: CheckpointMetadata) -> (full: Int64, incremental: Int64) {
    let files = metadata.allFiles
    let full = files.reduce(Int64(0)) { $0 + $1.size }
    var previousFiles = Set<String>()
    if let checkpoints = try? scan(.checkpoint) {
      for entry in checkpoints where entry.id < metadata.id {
        if case .intact(let previous) = entry.outcome {
          previousFiles = Set(previous.allFiles.map(\.path))
          break
        }
      }
    }
    let incremental = files.filter { !previousFiles.contains($0.path) }
      .reduce(Int64(0)) { $0 + $1.size }
    return (full, incremental)
  }
}
