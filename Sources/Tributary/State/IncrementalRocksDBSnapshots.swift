import Dispatch
import Foundation
import RocksDB
import Synchronization

/// Incremental, native RocksDB snapshots of one keyed subtask.
///
/// The working database sits behind a write-back cache, so it lags the state.
/// This object therefore keeps a second RocksDB, the *snapshot database*,
/// equal to the state as of the last snapshot. Each snapshot's synchronous
/// part only collects what changed since the previous one (``IncrementalSnapshotSource``);
/// the asynchronous part applies those changes to the snapshot database on a
/// serial queue (so snapshots apply in order), takes a native RocksDB
/// checkpoint of it (memtable flush, SST files hard-linked), and copies to
/// checkpoint storage only the SST files no earlier checkpoint of this
/// subtask stored: unchanged SST files are referenced again (shared files,
/// kept by retention while any retained checkpoint references them).
///
/// A full snapshot rebuilds the snapshot database: the first one, one after
/// the declared states changed, and one after an asynchronous part failed.
///
/// Thread-safety: ``prepare(full:base:writes:manifestStates:)`` is called by
/// the owning task; the returned asynchronous part may run on any thread.
/// ``close()`` waits for queued work.
final class IncrementalRocksDBSnapshots: @unchecked Sendable {
  /// One state's entry in the manifest.
  struct StateLayout: Hashable, Sendable {
    var id: UInt16
    var name: String
    var kind: String
  }

  private let directory: String
  private let options: RocksDBOptions
  /// Names of this subtask's files in checkpoint storage start with this.
  private let filePrefix: String
  private let queue: DispatchQueue
  /// Queue-confined.
  private var db: RocksDB?
  private var staged: [Int: Result<(stage: String, prefix: String), any Error>] = [:]
  private var stagingCounter = 0
  /// Counts the snapshot databases created: file numbers restart in a new one,
  /// so each gets its own name prefix in checkpoint storage.
  private var incarnation = 0
  /// Set when applying a snapshot's changes failed: the snapshot database is
  /// then incomplete, so later incremental changes must not go on top of it;
  /// only a full snapshot (which rebuilds it) clears this.
  private var isBroken = false

  private struct Shared {
    var uploaded: [String: CheckpointFileRef] = [:]
    var needsFull = true
    var layout: [StateLayout] = []
    var nextToken = 0
    /// The owner plus every asynchronous part not finished or dropped yet:
    /// the database and directory are removed when this reaches zero.
    var users = 1
  }
  private let shared = Mutex(Shared())
  /// Signalled once the snapshot database is closed for good; `isClosed` is
  /// guarded by it.
  private let closing = NSCondition()
  private var isClosed = false

  /// Snapshots kept in `directory` (created now), files named after `filePrefix`.
  init(directory: String, options: RocksDBOptions, filePrefix: String) throws {
    self.directory = directory
    var options = options
    options.blockCacheBytes = 8 << 20
    self.options = options
    self.filePrefix = filePrefix
    queue = DispatchQueue(label: "tributary.snapshots.\(filePrefix)")
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true)
  }

  /// A path, in the snapshot directory, for a native checkpoint of the
  /// working database that a full snapshot starts from.
  func newBasePath() -> String { directory + "/base-\(UUID().uuidString)" }

  /// Makes the next snapshot a full one (a snapshot was taken without this store).
  func requireFullSnapshot() {
    shared.withLock { $0.needsFull = true }
  }

  /// Whether the next snapshot must be full (with the states in `layout`).
  func needsFullSnapshot(layout: [StateLayout]) -> Bool {
    shared.withLock { $0.needsFull || $0.layout != layout }
  }

  /// The synchronous part of a snapshot. `base`, if given, is a native
  /// checkpoint of the working database taken now; a full snapshot starts
  /// from it (or from an empty database). `writes` then bring the snapshot
  /// database to the state as of now; they run in order on the queue.
  /// Returns the asynchronous part, which stores the files for `request`.
  func prepare(
    full: Bool, base: String?, writes: [@Sendable (RocksDB) throws -> Void],
    layout: [StateLayout]
  ) -> @Sendable (SnapshotRequest) throws -> OperatorSnapshot {
    let token = shared.withLock { shared in
      if full {
        shared.needsFull = false
        shared.layout = layout
      }
      shared.nextToken += 1
      shared.users += 1
      return shared.nextToken
    }
    // Keeps the staged files until the asynchronous part ran or was dropped,
    // even if the task closes its backend first (end of input, failure).
    let lease = Lease(self)
    queue.async { [self] in
      do {
        if full {
          try resetDatabase(from: base)
          isBroken = false
        }
        guard !isBroken else {
          throw RocksDBError(
            operation: "snapshot",
            message:
              "an earlier snapshot of this subtask failed to apply; the next full one rebuilds it")
        }
        guard let db else { throw RocksDBError(operation: "snapshot", message: "no database") }
        for write in writes { try write(db) }
        stagingCounter += 1
        let stage = directory + "/stage-\(stagingCounter)"
        try db.createCheckpoint(at: stage)
        staged[token] = .success((stage, filePrefix + "-\(incarnation)"))
      } catch {
        isBroken = true
        shared.withLock { $0.needsFull = true }
        staged[token] = .failure(error)
      }
    }
    return { request in
      try lease.owner.store(token: token, request: request, layout: layout)
    }
  }

  /// Holds the snapshot store open while an asynchronous part may still run.
  private final class Lease: Sendable {
    let owner: IncrementalRocksDBSnapshots
    init(_ owner: IncrementalRocksDBSnapshots) { self.owner = owner }
    deinit { owner.release() }
  }

  /// Replaces the snapshot database with `base` (moved) or an empty one.
  private func resetDatabase(from base: String?) throws {
    db?.close()
    db = nil
    let path = directory + "/db"
    try? FileManager.default.removeItem(atPath: path)
    if let base { try FileManager.default.moveItem(atPath: base, toPath: path) }
    db = try RocksDB(path: path, options: options)
    incarnation += 1
  }

  /// The asynchronous part: waits for the staged native checkpoint and copies
  /// what checkpoint storage lacks.
  private func store(token: Int, request: SnapshotRequest, layout: [StateLayout]) throws
    -> OperatorSnapshot
  {
    guard let storage = request.storage else {
      throw StateError.storage(
        state: "(snapshot)",
        underlying: RocksDBError(operation: "snapshot", message: "no checkpoint storage"))
    }
    let result = queue.sync { staged.removeValue(forKey: token) }
    guard let (stage, prefix) = try result?.get() else {
      throw StateError.storage(
        state: "(snapshot)",
        underlying: RocksDBError(operation: "snapshot", message: "snapshot \(token) not staged"))
    }
    defer { try? FileManager.default.removeItem(atPath: stage) }
    let names = try FileManager.default.contentsOfDirectory(atPath: stage).sorted()
    let known = shared.withLock { $0.uploaded }
    var files: [CheckpointFileRef] = []
    var uploaded: [String: CheckpointFileRef] = [:]
    for name in names {
      let source = URL(fileURLWithPath: stage + "/" + name)
      let storedName = prefix + "/" + name
      if name.hasSuffix(".sst") {
        // SST files never change once written: store each once.
        var reference: CheckpointFileRef?
        if let previous = known[storedName], previous.size == Self.fileSize(source.path) {
          reference = try storage.reuseSharedFile(
            previous, checkpoint: request.checkpoint, kind: request.kind)
        }
        let file =
          try reference
          ?? storage.copyFile(
            from: source, checkpoint: request.checkpoint, name: storedName, shared: true,
            kind: request.kind)
        uploaded[storedName] = file
        files.append(file)
      } else {
        files.append(
          try storage.copyFile(
            from: source, checkpoint: request.checkpoint, name: storedName, kind: request.kind))
      }
    }
    shared.withLock { $0.uploaded.merge(uploaded) { _, new in new } }
    let manifest = NativeSnapshotManifest(states: layout, fileNames: names)
    return OperatorSnapshot(bytes: manifest.encoded(), files: files)
  }

  /// The size of the file at `path`, or -1.
  private static func fileSize(_ path: String) -> Int64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.int64Value ?? -1
  }

  /// Called by the owner when its backend closes: waits until no asynchronous
  /// part holds the snapshot database any more (each finishes or is dropped),
  /// then it is closed and its directory removed. Waits at most two minutes:
  /// a process must not exit while RocksDB is open. Asynchronous parts run on
  /// Dispatch threads (``TaskCheckpointing``), so this wait cannot starve them.
  func close() {
    release()
    let deadline = Date().addingTimeInterval(120)
    closing.lock()
    while !isClosed && closing.wait(until: deadline) {}
    closing.unlock()
  }

  private func release() {
    let last = shared.withLock { shared in
      shared.users -= 1
      return shared.users == 0
    }
    guard last else { return }
    queue.sync {
      db?.close()
      db = nil
    }
    try? FileManager.default.removeItem(atPath: directory)
    closing.lock()
    isClosed = true
    closing.broadcast()
    closing.unlock()
  }

}
