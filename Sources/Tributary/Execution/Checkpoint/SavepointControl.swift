import Synchronization

/// Asks a running job for savepoints: checkpoints in the same format, written
/// under `savepoints/` in the checkpoint directory and never deleted by
/// retention. A job can be restarted from one with
/// ``CheckpointingConfiguration/restorePath``. Thread-safe.
public final class SavepointControl: Sendable {
  private struct State {
    var requests: [Bool] = []  // true: stop the job after it
    var written: [String] = []
  }
  private let state = Mutex(State())

  /// Creates a control; pass it in ``CheckpointingConfiguration/savepoints``.
  public init() {}

  /// Takes a savepoint soon; the job goes on.
  public func requestSavepoint() { state.withLock { $0.requests.append(false) } }

  /// Takes a savepoint soon, then stops the job (its sinks commit the
  /// savepoint's output; nothing after it is committed).
  public func requestStopWithSavepoint() { state.withLock { $0.requests.append(true) } }

  /// Paths of the savepoints written so far, oldest first.
  public var writtenSavepoints: [String] { state.withLock { $0.written } }

  func takeRequest() -> Bool? {
    state.withLock { $0.requests.isEmpty ? nil : $0.requests.removeFirst() }
  }

  func written(_ path: String) { state.withLock { $0.written.append(path) } }
}
