import Testing

@testable import Tributary

/// What the adaptive interval feeds its controller: a checkpoint that ran
/// beside a read-back (which competes with the job for CPU) counts with the
/// duration of the last checkpoint that did not.
@Suite struct AdaptiveCheckpointIntervalTests {
  /// An adaptive interval fed two checkpoints of `first` ms one second
  /// apart, then a third of `third` ms, with a read-back running from just
  /// before the third was triggered when `readBackBeside` is set.
  static func fed(first: Int64, third: Int64, readBackBeside: Bool) throws
    -> AdaptiveCheckpointInterval
  {
    let adaptive = try AdaptiveCheckpointInterval(
      objective: RecoveryObjective(
        .seconds(5), minimumInterval: .milliseconds(100), maximumInterval: .seconds(60)),
      initialMillis: 1_000, restartDelay: nil)
    var records: Int64 = 0
    let checkpoints: [(id: Int64, now: Int64, duration: Int64)] = [
      (1, 1_000, first), (2, 2_000, first), (3, 3_000, third),
    ]
    for (id, now, duration) in checkpoints {
      if id == 3 && readBackBeside { adaptive.readBackBegan(nowMillis: now - duration - 50) }
      adaptive.checkpointTriggered(id: id, sourceRecords: records)
      records += 1_000_000
      _ = adaptive.checkpointCompleted(
        id: id, nowMillis: now, durationMillis: duration, bytes: 1_000,
        sourceRecords: records, busiestRatio: 1)
    }
    return adaptive
  }

  @Test func aCheckpointBesideAReadBackCountsWithTheLastUndisturbedDuration() throws {
    let beside = try Self.fed(first: 100, third: 900, readBackBeside: true)
    let undisturbed = try Self.fed(first: 100, third: 100, readBackBeside: false)
    let slow = try Self.fed(first: 100, third: 900, readBackBeside: false)
    #expect(beside.status == undisturbed.status)
    let predicted = try #require(beside.status.predictedRecoveryMillis)
    #expect(slow.status.predictedRecoveryMillis.map { $0 > predicted } == true)
  }

  /// As in a job: the read-back begins when the first checkpoint with state
  /// completes, so the second checkpoint, the first the controller is fed
  /// (it needs two for rates), runs beside it and counts with the first's
  /// duration.
  @Test func theSecondCheckpointBesideTheFirstReadBackCountsWithTheFirstsDuration() throws {
    func fed(second: Int64, readBack: Bool) throws -> AdaptiveCheckpointInterval {
      let adaptive = try AdaptiveCheckpointInterval(
        objective: RecoveryObjective(
          .seconds(5), minimumInterval: .milliseconds(100), maximumInterval: .seconds(60)),
        initialMillis: 1_000, restartDelay: nil)
      adaptive.checkpointTriggered(id: 1, sourceRecords: 0)
      _ = adaptive.checkpointCompleted(
        id: 1, nowMillis: 1_400, durationMillis: 400, bytes: 1_000, sourceRecords: 1_000_000,
        busiestRatio: 1)
      if readBack { adaptive.readBackBegan(nowMillis: 1_400) }
      adaptive.checkpointTriggered(id: 2, sourceRecords: 1_000_000)
      _ = adaptive.checkpointCompleted(
        id: 2, nowMillis: 3_300, durationMillis: second, bytes: 1_000,
        sourceRecords: 2_000_000, busiestRatio: 1)
      return adaptive
    }
    #expect(
      try fed(second: 1_300, readBack: true).status == fed(second: 400, readBack: false).status)
    #expect(
      try fed(second: 1_300, readBack: false).status != fed(second: 400, readBack: false).status)
  }

  @Test func aReadBackThatEndedBeforeTheTriggerDisturbsNothing() throws {
    let adaptive = try Self.fed(first: 100, third: 900, readBackBeside: true)
    // Ended before checkpoint 4 was triggered: its 900 ms are its own.
    adaptive.readBackEnded(nowMillis: 3_100, bytes: 1_000, millis: nil)
    adaptive.checkpointTriggered(id: 4, sourceRecords: 3_000_000)
    let before = try #require(adaptive.status.predictedRecoveryMillis)
    _ = adaptive.checkpointCompleted(
      id: 4, nowMillis: 4_100, durationMillis: 900, bytes: 1_000, sourceRecords: 4_000_000,
      busiestRatio: 1)
    #expect(adaptive.status.predictedRecoveryMillis.map { $0 > before } == true)
  }

  /// A 5 s objective starting at the safe start (1 s), and its first
  /// checkpoint: triggered with 0 records emitted, completed 400 ms later with
  /// 4 M emitted (10 M/s), the busiest subtask 80 % busy.
  static func firstCheckpoint(readBackFollows: Bool) throws -> (
    AdaptiveCheckpointInterval, interval: Int64
  ) {
    let adaptive = try AdaptiveCheckpointInterval(
      objective: RecoveryObjective(.seconds(5)), initialMillis: nil, restartDelay: nil)
    adaptive.checkpointTriggered(id: 1, sourceRecords: 0)
    let (interval, _) = adaptive.checkpointCompleted(
      id: 1, nowMillis: 1_400, durationMillis: 400, bytes: 1_000, sourceRecords: 4_000_000,
      busiestRatio: 0.8, readBackFollows: readBackFollows)
    return (adaptive, interval)
  }

  /// What the controller alone chooses from the first checkpoint's
  /// measurement with a restore of `restoreMillis`.
  static func controllersChoice(restoreMillis: Double) throws -> Int64 {
    var controller = try CheckpointIntervalController(
      settings: RecoveryObjective(.seconds(5)).controllerSettings)
    return controller.update(
      .init(
        inputRate: 10_000_000, catchUpRate: 12_500_000, checkpointMillis: 400,
        restoreMillis: restoreMillis, restartDelayMillis: 0))
  }

  /// The first completed checkpoint decides (its rates measured between its
  /// trigger and its completion): a job does not run a second checkpoint at
  /// the start interval only to have two completions to take rates from.
  @Test func theFirstCheckpointDecides() throws {
    let (adaptive, interval) = try Self.firstCheckpoint(readBackFollows: false)
    #expect(interval == (try Self.controllersChoice(restoreMillis: 0)))
    #expect(interval > 1_000)
    #expect(adaptive.status.predictedRecoveryMillis != nil)
  }

  /// Without a restore estimate, the first decision waits for the read-back
  /// of the first checkpoint, holding the interval at twice the start
  /// meanwhile (so the next checkpoint is not triggered at the start
  /// interval just before the decision), and is made with the read-back's
  /// restore time when it ends.
  @Test func theFirstDecisionWaitsForItsReadBack() throws {
    let (adaptive, held) = try Self.firstCheckpoint(readBackFollows: true)
    #expect(held == 2_000)
    #expect(adaptive.status.intervalMillis == 2_000)
    #expect(adaptive.status.predictedRecoveryMillis == nil)
    adaptive.readBackBegan(nowMillis: 1_400)
    let decided = try #require(
      adaptive.readBackEnded(nowMillis: 2_100, bytes: 1_000, millis: 500))
    #expect(decided.intervalMillis == (try Self.controllersChoice(restoreMillis: 500)))
    #expect(decided.intervalMillis > 2_000)
    #expect(adaptive.status.intervalMillis == decided.intervalMillis)
    #expect(adaptive.status.predictedRecoveryMillis != nil)
    // A later read-back has no decision waiting for it.
    adaptive.readBackBegan(nowMillis: 9_000)
    #expect(adaptive.readBackEnded(nowMillis: 9_500, bytes: 2_000, millis: 900) == nil)
  }

  /// A read-back that failed still ends the hold: the decision is made as
  /// without a read-back (restore time unknown).
  @Test func aFailedReadBackEndsTheHold() throws {
    let (adaptive, _) = try Self.firstCheckpoint(readBackFollows: true)
    adaptive.readBackBegan(nowMillis: 1_400)
    let decided = try #require(adaptive.readBackEnded(nowMillis: 1_500, bytes: 1_000, millis: nil))
    #expect(decided.intervalMillis == (try Self.controllersChoice(restoreMillis: 0)))
    #expect(adaptive.status.intervalMillis == decided.intervalMillis)
  }

  /// A checkpoint completing while the first decision still waits decides
  /// instead (it has rates and a duration of its own); the read-back's end
  /// then changes nothing.
  @Test func aSecondCheckpointBeforeTheReadBackEndsDecides() throws {
    let (adaptive, _) = try Self.firstCheckpoint(readBackFollows: true)
    adaptive.readBackBegan(nowMillis: 1_400)
    adaptive.checkpointTriggered(id: 2, sourceRecords: 20_000_000)
    let (interval, _) = adaptive.checkpointCompleted(
      id: 2, nowMillis: 3_400, durationMillis: 400, bytes: 1_000, sourceRecords: 24_000_000,
      busiestRatio: 0.8)
    #expect(adaptive.status.intervalMillis == interval)
    #expect(adaptive.status.predictedRecoveryMillis != nil)
    #expect(adaptive.readBackEnded(nowMillis: 3_500, bytes: 1_000, millis: 500) == nil)
  }
}
