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
}
