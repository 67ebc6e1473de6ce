import Foundation
import Synchronization

/// A restore of one keyed operator's state into scratch backends like its
/// own, timed: what an adaptive checkpoint interval measures to predict the
/// restore time before the job has really restored (see
/// ``RestoreRehearsals``).
///
/// It runs the real restore's code: a ``KeyedStateBackend`` of the
/// operator's key type and configuration (heap, or RocksDB in a scratch
/// directory), ``KeyedStateBackend/restore(from:)`` of every former
/// subtask's snapshot (each scratch subtask keeps its own key groups), then
/// the operator's state declarations replayed, which insert the restored
/// entries as they do at a real `open`, and ``KeyedStateBackend/close()``.
/// What it leaves out: the operator's own work at `open` beyond declaring
/// state (reloading timers into memory, user code).
struct RestoreRehearsal: Sendable {
  /// What one rehearsal did and took.
  struct Outcome: Sendable, Equatable {
    /// Entries decoded for the scratch subtasks (each owned by one).
    var decodedEntries = 0
    /// Entries inserted into declared states (the rest belong to states the
    /// operator had not declared: a real restore keeps them undecoded too).
    var insertedEntries = 0
    /// CPU time of the rehearsal: decode, insert and teardown of every scratch
    /// subtask, summed.
    var cpuMillis = 0.0
    /// The restore time it stands for: the subtasks of one operator restore
    /// concurrently, so their summed CPU time over the cores they can use,
    /// but at least the slowest subtask's.
    var restoreMillis = 0.0
    /// The scratch directory the last RocksDB rehearsal used (removed when it
    /// ended); `nil` for heap state.
    var scratchDirectory: String?

    /// Both outcomes, as if their operators restored one after the other.
    static func + (a: Outcome, b: Outcome) -> Outcome {
      Outcome(
        decodedEntries: a.decodedEntries + b.decodedEntries,
        insertedEntries: a.insertedEntries + b.insertedEntries,
        cpuMillis: a.cpuMillis + b.cpuMillis, restoreMillis: a.restoreMillis + b.restoreMillis,
        scratchDirectory: b.scratchDirectory ?? a.scratchDirectory)
    }
  }

  /// How many subtasks the operator runs (one scratch backend each).
  let parallelism: Int
  /// The operator's backend kind.
  let kind: StateBackendConfiguration.Kind
  /// Restores `snapshots` into a scratch backend of subtask `subtask` whose
  /// RocksDB working directory (if any) goes under `directory`, and closes
  /// it; returns the entries decoded and inserted.
  private let restoreSubtask:
    @Sendable (_ snapshots: [KeyedStateSnapshot], _ subtask: Int, _ directory: String) throws ->
      (decoded: Int, inserted: Int)
  /// Where the scratch directory goes: beside the operator's RocksDB working
  /// directories (the same disk), else the temporary directory.
  private let parent: String

  /// The rehearsal of `backend`'s operator: its key type, configuration and
  /// the states it declared so far, in their order (`declarations`).
  init<Key>(
    of backend: KeyedStateBackend<Key>,
    declarations: [@Sendable (KeyedStateBackend<Key>) throws -> Void]
  ) {
    // The scratch context without the live one's rehearsals: the registry
    // holds this rehearsal, which must not hold the registry.
    var template = backend.context
    template.restoreRehearsals = nil
    let context = template
    let configuration = backend.configuration
    parallelism = context.parallelism
    kind = configuration.kind
    parent = configuration.directory ?? NSTemporaryDirectory()
    restoreSubtask = { snapshots, subtask, directory in
      var scratch = configuration
      scratch.directory = directory
      let backend = try KeyedStateBackend<Key>(
        context: OperatorContext(
          operatorName: context.operatorName, subtaskIndex: subtask,
          parallelism: context.parallelism, maxParallelism: context.maxParallelism,
          stateBackend: scratch, processingClock: context.processingClock,
          operatorID: context.operatorID, logger: context.logger, jobName: context.jobName,
          instance: context.instance, instances: context.instances))
      defer { backend.close() }
      // As at a real open: restore first (nothing is declared yet, so every
      // entry waits), then each declaration inserts its state's entries.
      try backend.restore(from: snapshots)
      let decoded = backend.pendingRestore.values.reduce(0) { $0 + $1.entries.count }
      for declare in declarations { try declare(backend) }
      let left = backend.pendingRestore.values.reduce(0) { $0 + $1.entries.count }
      return (decoded, decoded - left)
    }
  }

  /// Restores `snapshots` (every former subtask's) into one scratch backend
  /// per subtask, one after the other, and tears each down; the scratch
  /// directory is removed before it returns, also when it throws.
  func run(_ snapshots: [KeyedStateSnapshot]) throws -> Outcome {
    let directory = "\(parent)/tributary-readback-\(UUID().uuidString.prefix(8))"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var outcome = Outcome(scratchDirectory: kind == .rocksdb ? directory : nil)
    var slowest = 0.0
    for subtask in 0..<parallelism {
      let started = Self.threadCPUMillis()
      let (decoded, inserted) = try restoreSubtask(snapshots, subtask, directory)
      let millis = Self.threadCPUMillis() - started
      outcome.decodedEntries += decoded
      outcome.insertedEntries += inserted
      outcome.cpuMillis += millis
      slowest = max(slowest, millis)
    }
    let cores = Double(max(1, min(parallelism, ProcessInfo.processInfo.activeProcessorCount)))
    outcome.restoreMillis = max(slowest, outcome.cpuMillis / cores)
    return outcome
  }

  /// CPU time of the calling thread (user and system), in milliseconds: a
  /// rehearsal runs beside the job, so its wall time would count the job's
  /// own work on the same cores, which a real restore does not compete with.
  static func threadCPUMillis() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1_000 + Double(time.tv_nsec) / 1e6
  }
}

/// The restore rehearsals of one run's keyed operators, by operator id: each
/// keyed state backend publishes its operator's (its key type, configuration
/// and declared states) when it declares a state, so that the checkpoint
/// coordinator can restore a completed checkpoint into scratch backends
/// without knowing the operators' types. Thread-safe.
final class RestoreRehearsals: RestoreRehearsalSink {
  private let byOperator = Mutex<[String: RestoreRehearsal]>([:])

  /// An empty registry.
  init() {}

  /// `rehearsal` is the one of operator `operatorID` from now on.
  func publish(_ rehearsal: RestoreRehearsal, for operatorID: String) {
    byOperator.withLock { $0[operatorID] = rehearsal }
  }

  /// The rehearsal of operator `operatorID`, if it declared keyed state.
  func rehearsal(for operatorID: String) -> RestoreRehearsal? {
    byOperator.withLock { $0[operatorID] }
  }
}
