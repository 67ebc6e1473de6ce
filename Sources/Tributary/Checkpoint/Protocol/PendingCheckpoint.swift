/// A checkpoint the coordinator triggered and has not finished with.
///
/// Guarantees: `acknowledgements` only ever holds tasks of the coordinator's
/// task set, each once; once `isCommitting` is set, the checkpoint waits only
/// for the metadata write (no more acknowledgements, no expiry).
struct PendingCheckpoint: Sendable {
  /// The checkpoint id.
  let id: Int64
  /// Whether this is a savepoint.
  let isSavepoint: Bool
  /// When the sources were triggered.
  let triggerMillis: Int64
  /// The tasks that acknowledged so far, with their statistics.
  var acknowledgements: [TaskID: TaskCheckpointStats] = [:]
  /// Every task acknowledged and the metadata write was requested.
  var isCommitting = false
}
