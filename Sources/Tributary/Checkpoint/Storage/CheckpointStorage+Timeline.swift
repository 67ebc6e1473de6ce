import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension CheckpointStorage {
  /// Where a run resumes: the chosen checkpoint or savepoint, its directory,
  /// and the newer ones that were skipped, each with the reason (newest first).
  public struct RestorePoint: Sendable {
    /// The metadata of the checkpoint or savepoint to restore.
    public var metadata: CheckpointMetadata
    /// Its directory (absolute).
    public var path: String
    /// Newer checkpoints and savepoints that could not be used, newest first.
    public var skipped: [(id: Int64, reason: String)]
  }

  /// The directory's history as this process knows it (see ``CheckpointTimeline``).
  public var timeline: CheckpointTimeline { registry.withLock { $0.timeline } }

  /// The newest checkpoint or savepoint of the current timeline that can be
  /// restored (checkpoints and savepoints of this root, and the checkpoint the
  /// timeline started from, wherever it lies), tried from the highest id down.
  /// Abandoned ids (see ``CheckpointTimeline``) are skipped: their state and
  /// output belong to a timeline the job left.
  ///
  /// - Returns: `nil` when nothing was ever completed in the current timeline
  ///   and no intact or damaged `_metadata` of it exists: the job starts from
  ///   scratch.
  /// - Throws: ``CheckpointStorageError/noUsableCheckpoint(directory:reasons:)``
  ///   when something completed (the timeline says so, or a `_metadata`
  ///   exists) but nothing is usable now, so damage never looks like an empty
  ///   directory.
  public func restorePoint(verifyChecksums: Bool = true) throws(CheckpointStorageError)
    -> RestorePoint?
  {
    let timeline = self.timeline
    var candidates: [(id: Int64, kind: CheckpointMetadata.Kind, path: String)] = []
    var anyCommitted = false
    var outcomes: [String: CheckpointMetadataFile.Outcome] = [:]
    for kind in [CheckpointMetadata.Kind.checkpoint, .savepoint] {
      for entry in try scan(kind) where !timeline.isAbandoned(entry.id) {
        let directory = path(CheckpointLayout.directory(kind: kind, id: entry.id))
        candidates.append((entry.id, kind, directory))
        outcomes[directory] = entry.outcome
        if case .missing = entry.outcome {} else { anyCommitted = true }
      }
    }
    if let base = timeline.base, outcomes[base.path] == nil {
      candidates.append((base.id, .checkpoint, base.path))
    }
    var skipped: [(id: Int64, reason: String)] = []
    let inProgress = registry.withLock { Set($0.pending.keys) }
    for candidate in candidates.sorted(by: { $0.id > $1.id }) {
      let name = relativeName(candidate.path)
      guard let outcome = outcomes[candidate.path] else {
        // The base lies in another root: load it there.
        do {
          let metadata = try load(path: URL(fileURLWithPath: candidate.path))
          return RestorePoint(metadata: metadata, path: candidate.path, skipped: skipped)
        } catch {
          skipped.append((candidate.id, "\(candidate.path) (the timeline's start): \(error)"))
          continue
        }
      }
      switch try verdict(
        kind: candidate.kind, id: candidate.id, outcome: outcome, name: name,
        highestCompletedID: timeline.highestCompletedID, inProgress: inProgress,
        verifyChecksums: verifyChecksums)
      {
      case .usable(let metadata):
        return RestorePoint(metadata: metadata, path: candidate.path, skipped: skipped)
      case .skipped(let reason): skipped.append((candidate.id, reason))
      }
    }
    guard anyCommitted || timeline.highestCompletedID > 0 else { return nil }
    var reasons = skipped.map(\.reason)
    if reasons.isEmpty || timeline.highestCompletedID > (candidates.map(\.id).max() ?? 0) {
      reasons.append(
        "checkpoint \(timeline.highestCompletedID) completed in this timeline, but its "
          + "directory is gone")
    }
    throw .noUsableCheckpoint(directory: root, reasons: reasons)
  }

  /// Deletes checkpoint and savepoint directories without `_metadata` whose
  /// ids lie above the highest completed one of the timeline (nothing
  /// complete can be there: they were being taken when a process stopped)
  /// and that are not in progress in this process. Their ids stay used
  /// (recorded in `_timeline` first). Returns their names (`chk-9`,
  /// `savepoints/sp-4`), ascending.
  @discardableResult
  public func removeIncompleteCheckpoints() throws(CheckpointStorageError) -> [String] {
    try registry.withLock { (registry: inout Registry) throws(CheckpointStorageError) -> [String] in
      var doomed: [(kind: CheckpointMetadata.Kind, id: Int64)] = []
      for kind in [CheckpointMetadata.Kind.checkpoint, .savepoint] {
        for entry in try scan(kind) {
          guard case .missing = entry.outcome,
            entry.id > registry.timeline.highestCompletedID,
            registry.pending[Key(kind: kind, id: entry.id)] == nil
          else { continue }
          doomed.append((kind, entry.id))
        }
      }
      guard !doomed.isEmpty else { return [] }
      for entry in doomed { registry.timeline.used(entry.id) }
      try writeTimeline(registry.timeline, syncRoot: true)
      var names: [String] = []
      for entry in doomed.sorted(by: { $0.id < $1.id }) {
        let relative = CheckpointLayout.directory(kind: entry.kind, id: entry.id)
        try DurableFileIO.removeTree(path(relative))
        try DurableFileIO.syncDirectory(DurableFileIO.parentPath(of: path(relative)))
        names.append(relative)
      }
      return names
    }
  }

  /// Starts a new timeline from `base` (`nil`: from scratch): every id above
  /// it that was ever used is abandoned, and the new state is written to
  /// `_timeline` (atomically, fsynced) before this returns. Returns the ids of
  /// complete checkpoints and savepoints that were abandoned now, ascending.
  @discardableResult
  public func beginTimeline(from base: CheckpointTimeline.Base?) throws(CheckpointStorageError)
    -> [Int64]
  {
    try registry.withLock { (registry: inout Registry) throws(CheckpointStorageError) -> [Int64] in
      var onDisk: Int64 = 0
      var complete: [Int64] = []
      for kind in [CheckpointMetadata.Kind.checkpoint, .savepoint] {
        for entry in try scan(kind) {
          onDisk = max(onDisk, entry.id)
          if case .intact = entry.outcome { complete.append(entry.id) }
        }
      }
      let wasAbandoned = registry.timeline
      let range = registry.timeline.begin(from: base, highestIDOnDisk: onDisk)
      try writeTimeline(registry.timeline, syncRoot: true)
      guard let range else { return [] }
      return complete.filter { range.contains($0) && !wasAbandoned.isAbandoned($0) }.sorted()
    }
  }

  // MARK: - The `_timeline` file

  /// The name of the timeline file in the root.
  static let timelineFileName = "_timeline"

  /// Reads `<root>/_timeline`. A missing file is an empty history; a damaged
  /// one is replaced by an empty history with a warning (ids then continue
  /// after the directories on disk, and "something completed" is judged from
  /// the `_metadata` files alone).
  static func readTimeline(root: String) throws(CheckpointStorageError) -> (
    timeline: CheckpointTimeline, warning: String?
  ) {
    let file = root + "/" + timelineFileName
    guard let bytes = try DurableFileIO.readFile(file) else { return (CheckpointTimeline(), nil) }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      return (CheckpointTimeline(), "\(file) is not text; rebuilding it from the directories")
    }
    do {
      return (try CheckpointTimeline(decoding: text), nil)
    } catch {
      return (CheckpointTimeline(), "\(file): \(error); rebuilding it from the directories")
    }
  }

  /// Replaces `_timeline` atomically (temporary file, fsync, rename); with
  /// `syncRoot`, also fsyncs the root so the rename is durable. Call with the
  /// registry lock held.
  func writeTimeline(_ timeline: CheckpointTimeline, syncRoot: Bool)
    throws(CheckpointStorageError)
  {
    let final = path(Self.timelineFileName)
    let temporary = path(CheckpointLayout.temporaryPrefix + "timeline-" + UUID().uuidString)
    do {
      try DurableFileIO.writeNewFile(temporary, bytes: Array(timeline.encoded.utf8))
      try DurableFileIO.rename(temporary, to: final)
    } catch {
      try? DurableFileIO.removeFile(temporary)
      throw error
    }
    if syncRoot { try DurableFileIO.syncDirectory(root) }
  }

  /// `path` relative to the root when it lies below it, else unchanged.
  private func relativeName(_ absolute: String) -> String {
    absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : absolute
  }
}
