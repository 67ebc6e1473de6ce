import Foundation
import Synchronization

/// The checkpoint interval of a job with a ``RecoveryObjective``: gathers the
/// measurements the ``CheckpointIntervalController`` needs, over every run of
/// the job (restarts included), and hands back the interval to use.
///
/// Measured, not assumed:
/// - start-up: how long a run without state takes until every task is ready;
/// - restore: how long a run that restored a checkpoint of `b` bytes took
///   until every task was ready, scaled linearly with size; until the job
///   has restored once, a timed read-back of a completed checkpoint (the
///   restore's own reading code: files, inline state, native RocksDB
///   snapshots converted) stands in for it;
/// - the input rate (source records per second between two completed
///   checkpoints) and the catch-up rate (the input rate over the busiest
///   subtask's busy ratio: what the job could do with input waiting);
/// - each checkpoint's duration; the restart strategy's delay.
///
/// Thread-safe: every method takes one lock and does no I/O.
final class AdaptiveCheckpointInterval: Sendable {
  /// What the job reports about its interval (logs, metrics, API, bench).
  struct Status: Sendable, Equatable {
    var intervalMillis: Int64
    var objectiveMillis: Int64
    var predictedRecoveryMillis: Double?
    var objectiveMet: Bool
  }

  private struct State {
    var controller: CheckpointIntervalController
    var startupMillis: Double?
    var restore: (bytes: Int64, millis: Double)?
    var readBack: (bytes: Int64, millis: Double)?
    var lastCompletion: (millis: Int64, sourceRecords: Int64)?
  }

  let objective: RecoveryObjective
  let restartDelayMillis: Double
  private let state: Mutex<State>

  /// An adaptive interval for `objective`, starting at `initialMillis` (or
  /// the minimum); `restartDelay` is the restart strategy's first delay.
  init(objective: RecoveryObjective, initialMillis: Int64?, restartDelay: Duration?) throws {
    self.objective = objective
    restartDelayMillis = Double(restartDelay?.milliseconds ?? 0)
    let controller = try CheckpointIntervalController(
      settings: objective.controllerSettings, initialMillis: initialMillis)
    state = Mutex(State(controller: controller))
  }

  /// The interval now in force and the latest prediction.
  var status: Status {
    state.withLock { s in
      Status(
        intervalMillis: s.controller.intervalMillis,
        objectiveMillis: s.controller.settings.objectiveMillis,
        predictedRecoveryMillis: s.controller.predictedRecoveryMillis,
        objectiveMet: s.controller.objectiveMet)
    }
  }

  /// A run was ready (every task restored and open) `millis` after it
  /// began; it had restored a checkpoint of `restoredBytes` (nil: none).
  func runReady(afterMillis millis: Double, restoredBytes: Int64?) {
    state.withLock { s in
      if let bytes = restoredBytes {
        s.restore = (bytes, millis)
      } else {
        s.startupMillis = millis
      }
    }
  }

  /// Whether a completed checkpoint of `bytes` should be read back to
  /// calibrate the restore time: only until the job has really restored,
  /// for the first checkpoint with state, and whenever the size doubled or
  /// halved since the last read-back.
  func wantsReadBack(bytes: Int64) -> Bool {
    state.withLock { s in
      guard s.restore == nil, bytes > 0 else { return false }
      guard let last = s.readBack else { return true }
      return bytes >= 2 * last.bytes || 2 * bytes <= last.bytes
    }
  }

  /// A read-back of `bytes` took `millis`.
  func readBackMeasured(bytes: Int64, millis: Double) {
    state.withLock { $0.readBack = (bytes, millis) }
  }

  /// The predicted time to restore a checkpoint of `bytes`: start-up plus
  /// the state's share, from the last restore or else the last read-back.
  func predictedRestoreMillis(bytes: Int64) -> Double {
    state.withLock { s in Self.restoreMillis(bytes: bytes, s) }
  }

  private static func restoreMillis(bytes: Int64, _ s: State) -> Double {
    let startup = s.startupMillis ?? 0
    if let restore = s.restore {
      let stateShare = Swift.max(0, restore.millis - startup)
      return startup + stateShare * Double(bytes) / Double(Swift.max(restore.bytes, 1))
    }
    if let readBack = s.readBack {
      return startup + readBack.millis * Double(bytes) / Double(Swift.max(readBack.bytes, 1))
    }
    return startup
  }

  /// A periodic checkpoint of `bytes` completed at `nowMillis` after
  /// `durationMillis`; the sources had emitted `sourceRecords` in total and
  /// the busiest subtask was busy `busiestRatio` of the last second. Returns
  /// the interval to use from now on, and whether the objective became
  /// unreachable or reachable again (to be reported once).
  func checkpointCompleted(
    nowMillis: Int64, durationMillis: Int64, bytes: Int64, sourceRecords: Int64,
    busiestRatio: Double
  ) -> (intervalMillis: Int64, objectiveMetChanged: Bool) {
    state.withLock { s in
      defer { s.lastCompletion = (nowMillis, sourceRecords) }
      guard let last = s.lastCompletion, nowMillis > last.millis else {
        return (s.controller.intervalMillis, false)
      }
      let seconds = Double(nowMillis - last.millis) / 1_000
      let inputRate = Double(Swift.max(0, sourceRecords - last.sourceRecords)) / seconds
      let catchUpRate = inputRate / Swift.min(1, Swift.max(busiestRatio, 0.01))
      let wasMet = s.controller.objectiveMet
      let interval = s.controller.update(
        CheckpointIntervalController.Measurement(
          inputRate: inputRate, catchUpRate: catchUpRate,
          checkpointMillis: Double(durationMillis),
          restoreMillis: Self.restoreMillis(bytes: bytes, s),
          restartDelayMillis: restartDelayMillis))
      return (interval, wasMet != s.controller.objectiveMet)
    }
  }
}
