/// The in-band marker of checkpoint `id`: everything a channel sent before it
/// belongs to the checkpoint, everything after it to the next.
public struct CheckpointBarrier: Sendable, Hashable {
  /// The checkpoint.
  public let id: Int64
  /// Whether the checkpoint is a savepoint.
  public let isSavepoint: Bool

  /// Creates a barrier.
  public init(id: Int64, isSavepoint: Bool = false) {
    self.id = id
    self.isSavepoint = isSavepoint
  }
}

/// The state one task snapshots for one checkpoint: the bytes of each of its
/// operators that has state, by operator id. Used by one task.
final class TaskSnapshotBuilder {
  let checkpoint: Int64
  let subtask: Int
  var isSavepoint = false
  /// Where operators may write snapshot files (`nil` for the final state).
  let storage: CheckpointStorage?
  /// Per operator, the asynchronous part of its snapshot.
  private(set) var producers:
    [(operatorID: String, produce: @Sendable () throws -> OperatorSnapshot)] = []

  init(checkpoint: Int64, subtask: Int, storage: CheckpointStorage? = nil) {
    self.checkpoint = checkpoint
    self.subtask = subtask
    self.storage = storage
  }

  /// What operators are asked for.
  var request: SnapshotRequest {
    SnapshotRequest(checkpoint: checkpoint, isSavepoint: isSavepoint, storage: storage)
  }

  func add(operatorID: String, bytes: [UInt8]) {
    producers.append((operatorID, { OperatorSnapshot(bytes: bytes) }))
  }

  func add(operatorID: String, producer: @escaping @Sendable () throws -> OperatorSnapshot) {
    producers.append((operatorID, producer))
  }

  /// Runs the asynchronous parts: each operator's snapshot.
  func states() throws -> [(operatorID: String, snapshot: OperatorSnapshot)] {
    try producers.map { ($0.operatorID, try $0.produce()) }
  }
}
