/// What the asynchronous part of one operator's snapshot produced: bytes that
/// travel in the checkpoint (inline in its metadata when small, else in a
/// file the engine writes), and files the operator already wrote to checkpoint
/// storage itself (for example the SST files of an incremental RocksDB
/// snapshot). A plain value.
public struct OperatorSnapshot: Sendable {
  /// The operator's encoded state, or the manifest of its ``files``.
  public var bytes: [UInt8]
  /// Files in checkpoint storage that belong to this snapshot. When not
  /// empty, ``bytes`` always travels inline (it describes the files).
  public var files: [CheckpointFileRef]

  /// A snapshot of `bytes` and, optionally, files already in storage.
  public init(bytes: [UInt8], files: [CheckpointFileRef] = []) {
    self.bytes = bytes
    self.files = files
  }
}

/// The snapshot an operator is asked to take: which checkpoint, whether it is
/// a savepoint, and the storage it may write files to (`nil` when the
/// snapshot is not stored in a checkpoint directory, e.g. the final state at
/// end of input; operators then return all their state as bytes).
public struct SnapshotRequest: Sendable {
  /// The checkpoint (or savepoint) id.
  public let checkpoint: Int64
  /// Whether the snapshot is a savepoint (stored under `savepoints/`).
  public let isSavepoint: Bool
  /// Where files may be written, if anywhere.
  public let storage: CheckpointStorage?

  /// A request for checkpoint `checkpoint`.
  public init(checkpoint: Int64, isSavepoint: Bool = false, storage: CheckpointStorage? = nil) {
    self.checkpoint = checkpoint
    self.isSavepoint = isSavepoint
    self.storage = storage
  }

  /// The storage kind of the snapshot.
  public var kind: CheckpointMetadata.Kind { isSavepoint ? .savepoint : .checkpoint }
}
