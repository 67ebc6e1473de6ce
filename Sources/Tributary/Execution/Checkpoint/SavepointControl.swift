import Synchronization

/// A savepoint that completed: its checkpoint id and directory (pass the
/// directory to ``CheckpointingConfiguration/restorePath`` to resume from it).
public struct CompletedSavepoint: Sendable, Equatable, Codable {
  /// The savepoint's checkpoint id.
  public let id: Int64
  /// Its directory.
  public let path: String

  /// Creates the record.
  public init(id: Int64, path: String) {
    self.id = id
    self.path = path
  }
}

/// Why a savepoint asked for with ``SavepointControl/triggerSavepoint(stopAfter:)`` was not taken.
public enum SavepointError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The coordinator aborted it (a task finished, a timeout, a task declined).
  case failed(id: Int64, reason: String)
  /// The job ended (finished, failed or was cancelled) before it completed.
  case jobEnded

  public var description: String {
    switch self {
    case .failed(let id, let reason):
      return "savepoint \(id) failed: \(reason); the job goes on, ask again to retry"
    case .jobEnded:
      return "the job ended before the savepoint completed"
    }
  }
}

/// Asks a running job for savepoints: checkpoints in the same format, written
/// under `savepoints/` in the checkpoint directory and never deleted by
/// retention. A job can be restarted from one with
/// ``CheckpointingConfiguration/restorePath``.
///
/// Requests are served in the order they were made, by the job's
/// checkpoint coordinator (within one coordinator tick, at most 50 ms). A
/// request made while the job restarts is served by the next run.
/// Thread-safe.
public final class SavepointControl: Sendable {
  /// One request: whether to stop after it, and who waits for its outcome.
  struct Request: Sendable {
    let stop: Bool
    let waiter: Int?
  }
  private struct State: ~Copyable {
    var requests: [Request] = []
    var written: [String] = []
    var waiters: [Int: CheckedContinuation<CompletedSavepoint, any Error>] = [:]
    var nextWaiter = 0
  }
  private let state = Mutex(State())

  /// Creates a control; pass it in ``CheckpointingConfiguration/savepoints``.
  public init() {}

  /// Takes a savepoint soon; the job goes on.
  public func requestSavepoint() {
    state.withLock { $0.requests.append(Request(stop: false, waiter: nil)) }
  }

  /// Takes a savepoint soon, then stops the job (its sinks commit the
  /// savepoint's output; nothing after it is committed).
  public func requestStopWithSavepoint() {
    state.withLock { $0.requests.append(Request(stop: true, waiter: nil)) }
  }

  /// Takes a savepoint (then stops the job when `stopAfter`) and returns once
  /// it is complete and durable.
  /// - Throws: ``SavepointError/failed(id:reason:)`` when it was aborted,
  ///   ``SavepointError/jobEnded`` when the job ended first.
  public func triggerSavepoint(stopAfter: Bool = false) async throws -> CompletedSavepoint {
    try await withCheckedThrowingContinuation { continuation in
      state.withLock { s in
        let waiter = s.nextWaiter
        s.nextWaiter += 1
        s.waiters[waiter] = continuation
        s.requests.append(Request(stop: stopAfter, waiter: waiter))
      }
    }
  }

  /// Paths of the savepoints written so far, oldest first.
  public var writtenSavepoints: [String] { state.withLock { $0.written } }

  /// Requests not yet taken by the coordinator.
  var pendingRequestCount: Int { state.withLock { $0.requests.count } }

  /// The oldest request not yet served (coordinator use).
  func takeRequest() -> Request? {
    state.withLock { $0.requests.isEmpty ? nil : $0.requests.removeFirst() }
  }

  /// Savepoint `id` of `request` is complete at `path`.
  func written(_ path: String, id: Int64, request: Request) {
    let waiter = state.withLock { s in
      s.written.append(path)
      return request.waiter.flatMap { s.waiters.removeValue(forKey: $0) }
    }
    waiter?.resume(returning: CompletedSavepoint(id: id, path: path))
  }

  /// Savepoint `id` of `request` was aborted.
  func failed(id: Int64, reason: String, request: Request) {
    let waiter = state.withLock { s in request.waiter.flatMap { s.waiters.removeValue(forKey: $0) }
    }
    waiter?.resume(throwing: SavepointError.failed(id: id, reason: reason))
  }

  /// The job ended: everyone still waiting gets ``SavepointError/jobEnded``;
  /// requests nobody waits for stay queued for a next job using this control.
  func jobEnded() {
    let waiters = state.withLock { s in
      s.requests.removeAll { $0.waiter != nil }
      let waiting = Array(s.waiters.values)
      s.waiters = [:]
      return waiting
    }
    for waiter in waiters { waiter.resume(throwing: SavepointError.jobEnded) }
  }
}
