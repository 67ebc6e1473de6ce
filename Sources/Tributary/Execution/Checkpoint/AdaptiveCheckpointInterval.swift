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
///   has restored once, a timed read-back of a completed checkpoint stands
///   in for it: read, then restored into scratch backends of the job's kind
///   and torn down, with the restore's own code (see
///   ``RestoreRehearsal``);
/// - the input rate (source records per second between two completed
///   checkpoints) and the catch-up rate (the input rate over the busiest
///   subtask's busy ratio: what the job could do with input waiting);
/// - each checkpoint's duration; the restart strategy's delay;
/// - after each restart, the real recovery (failure until the sources have
///   emitted again everything they had emitted before it) over what the
///   model predicted for the input actually lost: the correction `k ≥ 1`
///   that covers what the model leaves out (tearing down the failed run, a
///   slow start after a restore).
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
    /// When the last read-back began and ended (`nil`: still running).
    var readBackWindow: (began: Int64, ended: Int64?)?
    /// The duration of the last checkpoint no read-back ran beside.
    var undisturbedDuration: Int64?
    var lastCompletion: (millis: Int64, sourceRecords: Int64)?
    /// Source records at each pending checkpoint's trigger, by id.
    var triggerRecords: [Int64: Int64] = [:]
    /// Source records at the trigger of the newest completed checkpoint.
    var restoredFrom: Int64 = 0
    var lastBytes: Int64 = 0
    var lastRates: (input: Double, catchUp: Double)?
    var correction = 1.0
    /// A failure whose recovery is being timed.
    var recovery: (failedAtMillis: Int64, targetRecords: Int64, predictedMillis: Double)?
    /// The first completed checkpoint's measurement, waiting for the
    /// read-back that calibrates its restore time (the first decision).
    var firstDecision: (measurement: CheckpointIntervalController.Measurement, bytes: Int64)?
    /// The interval in force while the first decision waits (see ``hold(_:)``).
    var heldMillis: Int64?
  }

  let objective: RecoveryObjective
  let restartDelayMillis: Double
  private let state: Mutex<State>

  /// An adaptive interval for `objective`, starting at `initialMillis` (or
  /// the controller's safe start, ``CheckpointIntervalController/Settings/safeStartMillis``);
  /// `restartDelay` is the restart strategy's first delay.
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
        intervalMillis: s.heldMillis ?? s.controller.intervalMillis,
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

  /// A read-back began at `nowMillis` (runtime clock): until it ends it
  /// competes with the job for CPU, so checkpoints beside it are slower than
  /// the job's own (see ``checkpointCompleted(id:nowMillis:durationMillis:bytes:sourceRecords:busiestRatio:)``).
  func readBackBegan(nowMillis: Int64) {
    state.withLock { $0.readBackWindow = (nowMillis, nil) }
  }

  /// The read-back that began last ended at `nowMillis`; it took `millis`
  /// for `bytes` (`nil`: it failed, nothing was measured). When the first
  /// decision was waiting for it (see
  /// ``checkpointCompleted(id:nowMillis:durationMillis:bytes:sourceRecords:busiestRatio:readBackFollows:)``),
  /// returns it: the interval to use from now on and whether the objective
  /// became unreachable; without a measurement the decision is made with
  /// the restore time unknown (start-up only), as it would be without a
  /// read-back. `nil`: nothing to change.
  @discardableResult
  func readBackEnded(nowMillis: Int64, bytes: Int64, millis: Double?) -> (
    intervalMillis: Int64, objectiveMetChanged: Bool
  )? {
    state.withLock { s in
      if let millis { s.readBack = (bytes, millis) }
      if let began = s.readBackWindow?.began { s.readBackWindow = (began, nowMillis) }
      guard var first = s.firstDecision else { return nil }
      s.firstDecision = nil
      first.measurement.restoreMillis = Self.restoreMillis(bytes: first.bytes, s)
      first.measurement.correction = s.correction
      return Self.decide(first.measurement, &s)
    }
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

  /// Periodic checkpoint `id` was triggered when the sources had emitted
  /// `sourceRecords`.
  func checkpointTriggered(id: Int64, sourceRecords: Int64) {
    state.withLock { s in
      s.triggerRecords[id] = sourceRecords
      if s.triggerRecords.count > 64, let oldest = s.triggerRecords.keys.min() {
        s.triggerRecords[oldest] = nil
      }
    }
  }

  /// A run failed at `nowMillis` when the sources had emitted `sourceRecords`:
  /// the recovery is timed from now until they have emitted again what they
  /// emitted since the newest completed checkpoint was triggered.
  func runFailed(nowMillis: Int64, sourceRecords: Int64) {
    state.withLock { s in
      let lost = Swift.max(0, sourceRecords - s.restoredFrom)
      let replayMillis = s.lastRates.map { Double(lost) / Swift.max($0.catchUp, 1e-9) * 1_000 } ?? 0
      let predicted =
        restartDelayMillis + Self.restoreMillis(bytes: s.lastBytes, s) + replayMillis
      s.recovery = (nowMillis, sourceRecords + lost, predicted)
    }
  }

  /// Whether a recovery is being timed (``poll(nowMillis:sourceRecords:)`` wants calls).
  var timingRecovery: Bool { state.withLock { $0.recovery != nil } }

  /// Ends the timed recovery once the sources have emitted `sourceRecords`
  /// at `nowMillis`: returns the real and the predicted recovery time and
  /// updates the correction; `nil` while the job is still catching up.
  func poll(nowMillis: Int64, sourceRecords: Int64) -> (
    actualMillis: Double, predictedMillis: Double
  )? {
    state.withLock { s in
      guard let recovery = s.recovery, sourceRecords >= recovery.targetRecords else { return nil }
      s.recovery = nil
      let actual = Double(nowMillis - recovery.failedAtMillis)
      if recovery.predictedMillis > 0 {
        let ratio = Swift.min(10, actual / recovery.predictedMillis)
        s.correction = Swift.max(1, 0.5 * s.correction + 0.5 * ratio)
      }
      return (actual, recovery.predictedMillis)
    }
  }

  /// A periodic checkpoint of `bytes` completed at `nowMillis` after
  /// `durationMillis`; the sources had emitted `sourceRecords` in total and
  /// the busiest subtask was busy `busiestRatio` of the last second. Returns
  /// the interval to use from now on, and whether the objective became
  /// unreachable or reachable again (to be reported once).
  ///
  /// The first completed checkpoint already decides: its rates are those
  /// between its trigger and its completion. When nothing has calibrated
  /// the restore time yet and `readBackFollows` (the read-back of this
  /// checkpoint begins next), the decision waits for the read-back's end
  /// (``readBackEnded(nowMillis:bytes:millis:)`` returns it) and the
  /// interval in force is held at twice the current one meanwhile, so the
  /// next checkpoint is not triggered at the start interval just before the
  /// decision lengthens it (W3 on one core: the read-back ends about 1.2
  /// start intervals after the first trigger; each needless checkpoint of 1
  /// M entries costs about 0.6 s of CPU). Safe: until the decision a failure
  /// loses at most two start intervals plus the checkpoint's duration, half
  /// the share of the objective aimed at plus the duration.
  ///
  /// A checkpoint that ran beside a read-back counts with the duration of
  /// the last one that did not (if any): on a busy machine the read-back
  /// slows it down (W3 on one core: 1.5 s instead of 0.5 s), and the moving
  /// average would carry that for many checkpoints.
  func checkpointCompleted(
    id: Int64, nowMillis: Int64, durationMillis: Int64, bytes: Int64, sourceRecords: Int64,
    busiestRatio: Double, readBackFollows: Bool = false
  ) -> (intervalMillis: Int64, objectiveMetChanged: Bool) {
    state.withLock { s in
      defer { s.lastCompletion = (nowMillis, sourceRecords) }
      let atTrigger = s.triggerRecords[id]
      if let atTrigger { s.restoredFrom = atTrigger }
      for older in s.triggerRecords.keys where older <= id { s.triggerRecords[older] = nil }
      s.lastBytes = bytes
      var duration = durationMillis
      if let window = s.readBackWindow, (window.ended ?? nowMillis) > nowMillis - durationMillis {
        duration = s.undisturbedDuration ?? durationMillis
      } else {
        s.undisturbedDuration = durationMillis
      }
      // Records and time the rates are measured over: since the last
      // completion, or for the first one, since its own trigger.
      let window: (records: Int64, millis: Int64)
      if let last = s.lastCompletion {
        guard nowMillis > last.millis else { return (s.controller.intervalMillis, false) }
        window = (sourceRecords - last.sourceRecords, nowMillis - last.millis)
      } else {
        guard let atTrigger, durationMillis > 0 else { return (s.controller.intervalMillis, false) }
        window = (sourceRecords - atTrigger, durationMillis)
      }
      let inputRate = Double(Swift.max(0, window.records)) / (Double(window.millis) / 1_000)
      let catchUpRate = inputRate / Swift.min(1, Swift.max(busiestRatio, 0.01))
      if inputRate > 0 { s.lastRates = (inputRate, catchUpRate) }
      let measurement = CheckpointIntervalController.Measurement(
        inputRate: inputRate, catchUpRate: catchUpRate, checkpointMillis: Double(duration),
        restoreMillis: Self.restoreMillis(bytes: bytes, s),
        restartDelayMillis: restartDelayMillis, correction: s.correction)
      if s.lastCompletion == nil, readBackFollows, s.restore == nil, s.readBack == nil {
        s.firstDecision = (measurement, bytes)
        let held = Self.hold(s.controller)
        s.heldMillis = held
        return (held, false)
      }
      s.firstDecision = nil
      return Self.decide(measurement, &s)
    }
  }

  /// The interval in force while the first decision waits for its
  /// read-back: twice the current one, within the bounds.
  private static func hold(_ controller: CheckpointIntervalController) -> Int64 {
    Swift.min(controller.settings.maximumMillis, 2 * controller.intervalMillis)
  }

  /// Feeds `measurement` to the controller: the interval it chooses, and
  /// whether the objective became unreachable or reachable again.
  private static func decide(
    _ measurement: CheckpointIntervalController.Measurement, _ s: inout State
  ) -> (intervalMillis: Int64, objectiveMetChanged: Bool) {
    s.heldMillis = nil
    let wasMet = s.controller.objectiveMet
    let interval = s.controller.update(measurement)
    return (interval, wasMet != s.controller.objectiveMet)
  }
}
