import Testing

@testable import Tributary

/// Unit tests of `CheckpointCoordinatorStateMachine` and `CheckpointSettings`:
/// pure event → action checks with injected time, no I/O.
@Suite struct CheckpointProtocolCoordinatorTests {
  static let sourceA = TaskID("source", subtask: 0)
  static let sourceB = TaskID("source", subtask: 1)
  static let mapper = TaskID("map", subtask: 0)
  static let sink = TaskID("sink", subtask: 0)
  static let allTasks: Set<TaskID> = [sourceA, sourceB, mapper, sink]
  static let sources: Set<TaskID> = [sourceA, sourceB]

  static func make(
    _ settings: CheckpointSettings, nowMillis: Int64 = 0, firstCheckpointID: Int64 = 1,
    statisticsWindow: Int = 1_000
  ) throws -> CheckpointCoordinatorStateMachine {
    try CheckpointCoordinatorStateMachine(
      settings: settings, tasks: allTasks, sources: sources, nowMillis: nowMillis,
      firstCheckpointID: firstCheckpointID, statisticsWindow: statisticsWindow)
  }

  /// Acknowledges `id` from every task (except `except`) at `nowMillis` and
  /// returns the actions of the last acknowledgement.
  @discardableResult
  static func ackAll(
    _ c: inout CheckpointCoordinatorStateMachine, _ id: Int64, nowMillis: Int64,
    except: Set<TaskID> = [], stats: TaskCheckpointStats? = nil
  ) -> [CheckpointAction] {
    var last: [CheckpointAction] = []
    for task in allTasks.subtracting(except).sorted() {
      last = c.acknowledged(checkpoint: id, task: task, stats: stats, nowMillis: nowMillis)
    }
    return last
  }

  /// Runs checkpoint `id` to completion: all acks, then storage completed.
  @discardableResult
  static func complete(
    _ c: inout CheckpointCoordinatorStateMachine, _ id: Int64, ackMillis: Int64,
    doneMillis: Int64
  ) -> [CheckpointAction] {
    ackAll(&c, id, nowMillis: ackMillis)
    return c.storageCompleted(checkpoint: id, nowMillis: doneMillis)
  }

  static func trigger(_ id: Int64, savepoint: Bool = false) -> CheckpointAction {
    .triggerSources(checkpoint: id, isSavepoint: savepoint)
  }

  // MARK: Settings

  @Test func settingsDefaultsFollowFlink() throws {
    let s = CheckpointSettings()
    #expect(s.intervalMillis == nil && !s.isPeriodic)
    #expect(s.mode == .exactlyOnce)
    #expect(s.timeoutMillis == 600_000)
    #expect(s.minPauseBetweenCheckpointsMillis == 0)
    #expect(s.maxConcurrentCheckpoints == 1)
    #expect(s.retainedCheckpoints == 3)
    #expect(s.tolerableConsecutiveFailures == 0)
    try s.validate()
    try CheckpointSettings(intervalMillis: 10, timeoutMillis: 10).validate()
  }

  @Test func settingsValidationReportsTypedErrors() {
    func check(_ s: CheckpointSettings, _ expected: CheckpointConfigurationError) {
      #expect(throws: expected) { try s.validate() }
      #expect(!expected.description.isEmpty)
    }
    check(CheckpointSettings(intervalMillis: 9), .intervalTooShort(9))
    check(CheckpointSettings(intervalMillis: 0), .intervalTooShort(0))
    check(CheckpointSettings(timeoutMillis: 5), .timeoutTooShort(5))
    check(CheckpointSettings(minPauseBetweenCheckpointsMillis: -1), .negativeMinPause(-1))
    check(CheckpointSettings(maxConcurrentCheckpoints: 0), .maxConcurrentCheckpointsBelowOne(0))
    check(CheckpointSettings(retainedCheckpoints: 0), .retainedCheckpointsBelowOne(0))
    check(CheckpointSettings(tolerableConsecutiveFailures: -2), .negativeTolerableFailures(-2))
  }

  @Test func coordinatorRejectsBadTaskSets() {
    let s = CheckpointSettings(intervalMillis: 100)
    #expect(throws: CheckpointConfigurationError.noSourceTasks) {
      _ = try CheckpointCoordinatorStateMachine(
        settings: s, tasks: Self.allTasks, sources: [], nowMillis: 0)
    }
    let stray = TaskID("other", subtask: 0)
    #expect(throws: CheckpointConfigurationError.sourceNotAcknowledging(stray)) {
      _ = try CheckpointCoordinatorStateMachine(
        settings: s, tasks: Self.allTasks, sources: [Self.sourceA, stray], nowMillis: 0)
    }
    #expect(throws: CheckpointConfigurationError.firstCheckpointIDBelowOne(0)) {
      _ = try Self.make(s, firstCheckpointID: 0)
    }
    #expect(throws: CheckpointConfigurationError.intervalTooShort(1)) {
      _ = try Self.make(CheckpointSettings(intervalMillis: 1))
    }
  }

  // MARK: Triggering

  @Test func periodicTriggerHonoursIntervalAndIncreasingIDs() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 1_000, maxConcurrentCheckpoints: 10), nowMillis: 500,
      firstCheckpointID: 7)
    #expect(c.nextPeriodicTriggerMillis == 1_500)
    #expect(c.tick(nowMillis: 1_499) == [])
    #expect(c.tick(nowMillis: 1_500) == [Self.trigger(7)])
    #expect(c.tick(nowMillis: 1_500) == [])
    #expect(c.tick(nowMillis: 2_499) == [])
    // A late tick triggers at its own time; the next is an interval later.
    #expect(c.tick(nowMillis: 2_700) == [Self.trigger(8)])
    #expect(c.tick(nowMillis: 3_699) == [])
    #expect(c.tick(nowMillis: 3_700) == [Self.trigger(9)])
    #expect(c.pendingCheckpoints == [7, 8, 9])
    #expect(c.nextCheckpointID == 10)
  }

  @Test func checkpointsOffNeverTriggerButSavepointsWork() throws {
    var c = try Self.make(CheckpointSettings())
    for t in stride(from: Int64(0), through: 10_000_000, by: 100_000) {
      #expect(c.tick(nowMillis: t) == [])
    }
    #expect(c.nextPeriodicTriggerMillis == nil)
    #expect(c.savepointRequested(nowMillis: 5) == [Self.trigger(1, savepoint: true)])
  }

  @Test func maxConcurrentHoldsBackPeriodicTriggers() throws {
    var one = try Self.make(CheckpointSettings(intervalMillis: 100))
    #expect(one.tick(nowMillis: 100) == [Self.trigger(1)])
    #expect(one.tick(nowMillis: 200) == [])
    #expect(one.nextPeriodicTriggerMillis == nil)
    Self.complete(&one, 1, ackMillis: 240, doneMillis: 250)
    #expect(one.nextPeriodicTriggerMillis == 200)
    #expect(one.tick(nowMillis: 251) == [Self.trigger(2)])

    var two = try Self.make(CheckpointSettings(intervalMillis: 100, maxConcurrentCheckpoints: 2))
    #expect(two.tick(nowMillis: 100) == [Self.trigger(1)])
    #expect(two.tick(nowMillis: 200) == [Self.trigger(2)])
    #expect(two.tick(nowMillis: 300) == [])
    #expect(two.tick(nowMillis: 400) == [])
    // A savepoint is never held back, but it occupies a slot.
    #expect(two.savepointRequested(nowMillis: 410) == [Self.trigger(3, savepoint: true)])
    Self.complete(&two, 1, ackMillis: 420, doneMillis: 430)
    #expect(two.tick(nowMillis: 440) == [])
    Self.complete(&two, 3, ackMillis: 450, doneMillis: 460)
    #expect(two.tick(nowMillis: 470) == [Self.trigger(4)])
  }

  @Test func minPauseIsMeasuredFromTheLastCompletion() throws {
    var c = try Self.make(
      CheckpointSettings(
        intervalMillis: 100, minPauseBetweenCheckpointsMillis: 500, maxConcurrentCheckpoints: 3))
    // Before any completion only the interval applies.
    #expect(c.tick(nowMillis: 100) == [Self.trigger(1)])
    #expect(c.tick(nowMillis: 200) == [Self.trigger(2)])
    Self.complete(&c, 1, ackMillis: 140, doneMillis: 150)  // subsumes nothing newer
    #expect(c.nextPeriodicTriggerMillis == 650)
    #expect(c.tick(nowMillis: 300) == [])
    #expect(c.tick(nowMillis: 649) == [])
    #expect(c.tick(nowMillis: 650) == [Self.trigger(3)])
    // Savepoints ignore the minimum pause.
    Self.complete(&c, 3, ackMillis: 700, doneMillis: 700)
    #expect(c.savepointRequested(nowMillis: 701) == [Self.trigger(4, savepoint: true)])
    #expect(c.tick(nowMillis: 1_199) == [])
    #expect(c.tick(nowMillis: 1_200) == [Self.trigger(5)])
  }

  // MARK: Completion

  @Test func completionNeedsEveryAckThenDurableMetadata() throws {
    var c = try Self.make(CheckpointSettings(intervalMillis: 100, retainedCheckpoints: 2))
    #expect(c.tick(nowMillis: 100) == [Self.trigger(1)])
    let stats = TaskCheckpointStats(syncDurationMillis: 3, bytes: 10)
    #expect(Self.ackAll(&c, 1, nowMillis: 110, except: [Self.sink], stats: stats) == [])
    // Duplicate, unknown-task and unknown-checkpoint acks change nothing.
    #expect(c.acknowledged(checkpoint: 1, task: Self.mapper, nowMillis: 111) == [])
    #expect(c.acknowledged(checkpoint: 1, task: TaskID("ghost", subtask: 0), nowMillis: 111) == [])
    #expect(c.acknowledged(checkpoint: 42, task: Self.sink, nowMillis: 111) == [])
    #expect(c.acknowledgedTasks(of: 1) == [Self.sourceA, Self.sourceB, Self.mapper])
    // Storage results before all acks are ignored.
    #expect(c.storageCompleted(checkpoint: 1, nowMillis: 112) == [])
    let actions = c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 120)
    var expectedAcks = Dictionary(uniqueKeysWithValues: Self.allTasks.map { ($0, stats) })
    expectedAcks[Self.sink] = .zero
    #expect(actions == [.commitMetadata(checkpoint: 1, acknowledgements: expectedAcks)])
    #expect(c.isCommitting(1))
    // No second commit request, no completion yet.
    #expect(c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 121) == [])
    #expect(c.completedCount == 0)
    #expect(
      c.storageCompleted(checkpoint: 1, nowMillis: 130) == [
        .notifyComplete(checkpoint: 1), .retain(keepLatest: 2),
      ])
    #expect(c.storageCompleted(checkpoint: 1, nowMillis: 131) == [])
    #expect(c.completedCount == 1 && c.latestCompletedCheckpoint == 1)
    #expect(c.pendingCheckpoints.isEmpty)
    // Late acks after completion are ignored.
    #expect(c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 140) == [])
  }

  // MARK: Timeout, decline, storage failure, tolerance

  @Test func timeoutAbortsOnTheNextTickAndLateAcksAreIgnored() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 100, timeoutMillis: 1_000, tolerableConsecutiveFailures: 5)
    )
    #expect(c.tick(nowMillis: 100) == [Self.trigger(1)])
    Self.ackAll(&c, 1, nowMillis: 200, except: [Self.sink])
    #expect(c.tick(nowMillis: 1_099) == [])
    #expect(
      c.tick(nowMillis: 1_100) == [
        .abort(checkpoint: 1, reason: .expired(timeoutMillis: 1_000)), Self.trigger(2),
      ])
    #expect(c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 1_101) == [])
    #expect(c.failedCount == 1 && c.consecutiveFailures == 1)
    // An ack that arrives after the deadline expires the checkpoint instead of completing it.
    Self.ackAll(&c, 2, nowMillis: 1_200, except: [Self.sink])
    #expect(
      c.acknowledged(checkpoint: 2, task: Self.sink, nowMillis: 2_100) == [
        .abort(checkpoint: 2, reason: .expired(timeoutMillis: 1_000))
      ])
    #expect(c.consecutiveFailures == 2)
  }

  @Test func committingCheckpointDoesNotExpireAndStorageFailureCounts() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 100, timeoutMillis: 1_000, tolerableConsecutiveFailures: 1)
    )
    _ = c.tick(nowMillis: 100)
    Self.ackAll(&c, 1, nowMillis: 150)
    #expect(c.tick(nowMillis: 5_000) == [])
    #expect(c.isCommitting(1))
    // Declines for a committing checkpoint are ignored.
    #expect(c.declined(checkpoint: 1, task: Self.mapper, reason: .snapshotFailed("x")) == [])
    #expect(
      c.storageFailed(checkpoint: 1, reason: "disk full") == [
        .abort(checkpoint: 1, reason: .storageFailed("disk full"))
      ])
    #expect(c.consecutiveFailures == 1 && !c.hasFailedJob)
    #expect(c.storageFailed(checkpoint: 1, reason: "again") == [])
  }

  @Test func declineAbortsAndCountsOnlyRealFailures() throws {
    var c = try Self.make(CheckpointSettings(intervalMillis: 100))
    _ = c.tick(nowMillis: 100)
    #expect(
      c.declined(checkpoint: 1, task: Self.mapper, reason: .subsumed) == [
        .abort(checkpoint: 1, reason: .declined(task: Self.mapper, reason: .subsumed))
      ])
    #expect(c.consecutiveFailures == 0 && c.failedCount == 1 && !c.hasFailedJob)
    #expect(c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 120) == [])
    #expect(c.declined(checkpoint: 1, task: Self.sink, reason: .taskNotReady) == [])
    _ = c.tick(nowMillis: 200)
    #expect(c.declined(checkpoint: 2, task: Self.sink, reason: .endOfInput).count == 1)
    #expect(c.consecutiveFailures == 0)
    _ = c.tick(nowMillis: 300)
    let reason = CheckpointFailureReason.declined(task: Self.sink, reason: .snapshotFailed("io"))
    // Default tolerance 0: the first counted failure fails the job.
    #expect(
      c.declined(checkpoint: 3, task: Self.sink, reason: .snapshotFailed("io")) == [
        .abort(checkpoint: 3, reason: reason),
        .failJob(lastFailure: reason, consecutiveFailures: 1),
      ])
    #expect(c.hasFailedJob)
    // A failed machine ignores everything.
    #expect(c.tick(nowMillis: 10_000) == [])
    #expect(c.savepointRequested(nowMillis: 10_000) == [])
    #expect(c.acknowledged(checkpoint: 3, task: Self.sink, nowMillis: 10_000) == [])
    #expect(c.taskFinished(Self.sink) == [])
  }

  @Test func toleranceAllowsNFailuresInARowAndCompletionResets() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 100, timeoutMillis: 50, tolerableConsecutiveFailures: 2))
    func abort(_ id: Int64) -> CheckpointAction {
      .abort(checkpoint: id, reason: .expired(timeoutMillis: 50))
    }
    #expect(c.tick(nowMillis: 100) == [Self.trigger(1)])
    // Two expiries in a row are tolerated...
    #expect(c.tick(nowMillis: 200) == [abort(1), Self.trigger(2)])
    #expect(c.tick(nowMillis: 300) == [abort(2), Self.trigger(3)])
    #expect(c.consecutiveFailures == 2)
    // ...a completion resets the count...
    Self.complete(&c, 3, ackMillis: 310, doneMillis: 320)
    #expect(c.consecutiveFailures == 0)
    #expect(c.tick(nowMillis: 400) == [Self.trigger(4)])
    #expect(c.tick(nowMillis: 500) == [abort(4), Self.trigger(5)])
    #expect(c.tick(nowMillis: 600) == [abort(5), Self.trigger(6)])
    // ...and the third in a row fails the job; nothing is triggered after it.
    #expect(
      c.tick(nowMillis: 700) == [
        abort(6), .failJob(lastFailure: .expired(timeoutMillis: 50), consecutiveFailures: 3),
      ])
    #expect(c.hasFailedJob && c.failedCount == 5 && c.completedCount == 1)
    #expect(c.tick(nowMillis: 800) == [])
  }

  // MARK: Subsumption

  @Test func completingACheckpointSubsumesOlderPendingOnes() throws {
    var c = try Self.make(CheckpointSettings(intervalMillis: 100, maxConcurrentCheckpoints: 3))
    _ = c.tick(nowMillis: 100)
    _ = c.tick(nowMillis: 200)
    _ = c.tick(nowMillis: 300)
    #expect(c.pendingCheckpoints == [1, 2, 3])
    Self.ackAll(&c, 1, nowMillis: 310, except: [Self.sink])
    Self.ackAll(&c, 2, nowMillis: 320)
    #expect(
      c.storageCompleted(checkpoint: 2, nowMillis: 330) == [
        .abort(checkpoint: 1, reason: .subsumed(by: 2)), .notifyComplete(checkpoint: 2),
        .retain(keepLatest: 3),
      ])
    #expect(c.pendingCheckpoints == [3])
    #expect(c.acknowledged(checkpoint: 1, task: Self.sink, nowMillis: 340) == [])
    // Subsumption is not a failure.
    #expect(c.consecutiveFailures == 0 && c.failedCount == 1 && c.completedCount == 1)
  }

  @Test func olderCheckpointFinishingItsWriteLateIsSubsumed() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 100, maxConcurrentCheckpoints: 3))
    _ = c.tick(nowMillis: 100)
    _ = c.tick(nowMillis: 200)
    _ = c.tick(nowMillis: 300)
    Self.ackAll(&c, 1, nowMillis: 310)  // metadata write of 1 running
    Self.ackAll(&c, 2, nowMillis: 320)
    Self.ackAll(&c, 3, nowMillis: 330)
    // 3 is durable first: 1 and 2 are mid-write and are not aborted under the writer.
    #expect(
      c.storageCompleted(checkpoint: 3, nowMillis: 340) == [
        .notifyComplete(checkpoint: 3), .retain(keepLatest: 3),
      ])
    #expect(c.pendingCheckpoints == [1, 2])
    #expect(
      c.storageCompleted(checkpoint: 1, nowMillis: 350) == [
        .abort(checkpoint: 1, reason: .subsumed(by: 3))
      ])
    // A failure of a checkpoint older than the latest completed one is not counted.
    #expect(
      c.storageFailed(checkpoint: 2, reason: "io") == [
        .abort(checkpoint: 2, reason: .storageFailed("io"))
      ])
    #expect(c.consecutiveFailures == 0 && !c.hasFailedJob)
    #expect(c.completedCount == 1 && c.failedCount == 2 && c.latestCompletedCheckpoint == 3)
  }

  // MARK: Savepoints

  @Test func savepointsBypassLimitsAreNeverSubsumedAndNeverCount() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 100, timeoutMillis: 1_000, maxConcurrentCheckpoints: 1))
    #expect(c.tick(nowMillis: 100) == [Self.trigger(1)])
    #expect(c.savepointRequested(nowMillis: 105) == [Self.trigger(2, savepoint: true)])
    #expect(c.savepointRequested(nowMillis: 106) == [Self.trigger(3, savepoint: true)])
    Self.ackAll(&c, 2, nowMillis: 110)
    // A savepoint completes without retention and does not subsume checkpoint 1.
    #expect(c.storageCompleted(checkpoint: 2, nowMillis: 120) == [.notifyComplete(checkpoint: 2)])
    #expect(c.pendingCheckpoints == [1, 3])
    // Checkpoint 4 completing does not subsume savepoint 3.
    Self.complete(&c, 1, ackMillis: 130, doneMillis: 140)
    #expect(c.tick(nowMillis: 200) == [])  // savepoint 3 occupies the only slot
    #expect(c.pendingCheckpoints == [3])
    // Savepoint expiry is not counted, even with zero tolerance.
    #expect(
      c.tick(nowMillis: 1_106) == [
        .abort(checkpoint: 3, reason: .expired(timeoutMillis: 1_000)), Self.trigger(4),
      ])
    #expect(!c.hasFailedJob && c.consecutiveFailures == 0)
    #expect(c.savepointRequested(nowMillis: 1_110) == [Self.trigger(5, savepoint: true)])
    Self.ackAll(&c, 5, nowMillis: 1_120)
    Self.complete(&c, 4, ackMillis: 1_130, doneMillis: 1_140)
    #expect(c.pendingCheckpoints == [5])
    #expect(c.storageFailed(checkpoint: 5, reason: "io").count == 1)
    #expect(!c.hasFailedJob && c.consecutiveFailures == 0)
    #expect(c.statistics.latest?.checkpoint == 4)
  }

  // MARK: Finished tasks

  @Test func aFinishingTaskAbortsWhatItCannotAckAndCheckpointsGoOnWithoutIt() throws {
    var c = try Self.make(CheckpointSettings(intervalMillis: 100, maxConcurrentCheckpoints: 2))
    _ = c.tick(nowMillis: 100)
    _ = c.tick(nowMillis: 200)
    #expect(c.acknowledged(checkpoint: 1, task: Self.sourceA, nowMillis: 210) == [])
    // Checkpoint 1 has sourceA's ack and can still complete; 2 cannot.
    #expect(
      c.taskFinished(Self.sourceA) == [
        .abort(checkpoint: 2, reason: .taskFinished(Self.sourceA))
      ])
    #expect(c.consecutiveFailures == 0)
    #expect(
      c.savepointRequested(nowMillis: 250) == [
        .abort(checkpoint: 3, reason: .taskFinished(Self.sourceA))
      ])
    #expect(Self.ackAll(&c, 1, nowMillis: 260, except: [Self.sourceA]).count == 1)
    #expect(
      c.storageCompleted(checkpoint: 1, nowMillis: 270).first == .notifyComplete(checkpoint: 1))
    // Periodic checkpoints go on while a source runs; the finished task
    // counts as acknowledged.
    #expect(c.tick(nowMillis: 400) == [Self.trigger(4)])
    #expect(c.acknowledged(checkpoint: 4, task: Self.sourceB, nowMillis: 410) == [])
    #expect(c.acknowledged(checkpoint: 4, task: Self.mapper, nowMillis: 411) == [])
    let done = c.acknowledged(checkpoint: 4, task: Self.sink, nowMillis: 412)
    guard case .commitMetadata(4, let acknowledgements) = done.first else {
      Issue.record("expected the metadata of checkpoint 4 to be committed, got \(done)")
      return
    }
    #expect(Set(acknowledgements.keys) == [Self.sourceB, Self.mapper, Self.sink])
    #expect(c.storageCompleted(checkpoint: 4, nowMillis: 420).contains(.notifyComplete(checkpoint: 4)))
    // Once every source finished nothing can be triggered.
    #expect(c.taskFinished(Self.sourceB) == [])
    #expect(c.nextPeriodicTriggerMillis == nil)
    #expect(c.tick(nowMillis: 10_000) == [])
    #expect(c.taskFinished(TaskID("ghost", subtask: 0)) == [])
  }

  // MARK: Statistics

  @Test func statisticsSummariseCompletedCheckpoints() throws {
    var c = try Self.make(
      CheckpointSettings(intervalMillis: 1_000, tolerableConsecutiveFailures: 9),
      statisticsWindow: 3)
    #expect(c.statistics.duration == CheckpointStatsSummary([]))
    #expect(c.statistics.latest == nil)
    // Checkpoint k: triggered at 1000k, durable after 10k ms; task i reports
    // sync = k + i, alignment = 2k * i, bytes = 100.
    for k in Int64(1)...4 {
      let t = 1_000 * k
      #expect(c.tick(nowMillis: t) == [Self.trigger(k)])
      for (i, task) in Self.allTasks.sorted().enumerated() {
        let stats = TaskCheckpointStats(
          syncDurationMillis: k + Int64(i), asyncDurationMillis: 1,
          alignmentMillis: 2 * k * Int64(i), bytes: 100)
        _ = c.acknowledged(checkpoint: k, task: task, stats: stats, nowMillis: t + 5)
      }
      _ = c.storageCompleted(checkpoint: k, nowMillis: t + 10 * k)
    }
    _ = c.tick(nowMillis: 5_000)
    _ = c.declined(checkpoint: 5, task: Self.sink, reason: .snapshotFailed("x"))
    _ = c.tick(nowMillis: 6_000)
    let s = c.statistics
    #expect(s.completed == 4 && s.failed == 1 && s.consecutiveFailures == 1 && s.inProgress == 1)
    #expect(s.windowSize == 3)
    #expect(
      s.latest
        == CompletedCheckpointStats(
          checkpoint: 4, isSavepoint: false, triggerMillis: 4_000, completionMillis: 4_040,
          maxSyncDurationMillis: 7, maxAsyncDurationMillis: 1, maxAlignmentMillis: 24,
          totalBytes: 400, acknowledgedTasks: 4))
    #expect(s.latest?.durationMillis == 40)
    // The window holds checkpoints 2, 3, 4 (durations 20, 30, 40).
    #expect(s.duration.count == 3 && s.duration.p50 == 30 && s.duration.max == 40)
    #expect(s.maxSyncPause.p50 == 6 && s.maxSyncPause.max == 7)
    #expect(s.maxAlignment.p50 == 18 && s.maxAlignment.max == 24)
    #expect(s.bytes.p50 == 400 && s.bytes.max == 400)
  }

  @Test func summaryUsesNearestRankMedian() {
    #expect(CheckpointStatsSummary([5]).p50 == 5)
    #expect(CheckpointStatsSummary([9, 1]).p50 == 1)
    #expect(CheckpointStatsSummary([3, 1, 2, 10]).p50 == 2)
    #expect(CheckpointStatsSummary([3, 1, 2, 10, 7]).p50 == 3)
    #expect(CheckpointStatsSummary([3, 1, 2, 10, 7]).max == 10)
    #expect(CheckpointStatsSummary([]).max == nil)
  }

  // MARK: Randomised invariants

  /// Random but seeded event sequences: every id is triggered once in
  /// increasing order and ends in exactly one notify or abort; commit comes
  /// before notify; notify only after the actor reported storage completed;
  /// completions keep the retained-count action; nothing follows failJob.
  @Test(arguments: Array(UInt64(1)...40))
  func randomEventSequencesKeepTheInvariants(seed: UInt64) throws {
    var rng = CheckpointProtocolRandom(seed: seed)
    let settings = CheckpointSettings(
      intervalMillis: 10 + Int64(rng.next() % 50), timeoutMillis: 100 + Int64(rng.next() % 400),
      minPauseBetweenCheckpointsMillis: Int64(rng.next() % 30),
      maxConcurrentCheckpoints: 1 + Int(rng.next() % 3),
      tolerableConsecutiveFailures: Int(rng.next() % 4))
    var c = try Self.make(settings)
    var now: Int64 = 0
    var triggered: [Int64] = []
    var committed: Set<Int64> = []
    var storageDone: Set<Int64> = []
    var notified = 0
    var aborted = 0
    var ended: [Int64: Int] = [:]
    var failed = false
    let tasks = Self.allTasks.sorted()
    for _ in 0..<600 {
      now += Int64(rng.next() % 20)
      var storageCall: Int64?
      let live = c.pendingCheckpoints
      let pick = live.isEmpty ? nil : live[Int(rng.next() % UInt64(live.count))]
      let actions: [CheckpointAction]
      switch rng.next() % 10 {
      case 0...3: actions = c.tick(nowMillis: now)
      case 4...6:
        let task = tasks[Int(rng.next() % UInt64(tasks.count))]
        actions = c.acknowledged(checkpoint: pick ?? 1, task: task, nowMillis: now)
      case 7:
        actions =
          rng.next() % 4 == 0
          ? c.declined(checkpoint: pick ?? 1, task: Self.sink, reason: .snapshotFailed("x"))
          : c.savepointRequested(nowMillis: now)
      default:
        let id = committed.subtracting(storageDone).subtracting(ended.keys).min() ?? 1
        if rng.next() % 8 == 0 {
          actions = c.storageFailed(checkpoint: id, reason: "io")
        } else {
          storageDone.insert(id)
          storageCall = id
          actions = c.storageCompleted(checkpoint: id, nowMillis: now)
        }
      }
      if failed { #expect(actions.isEmpty) }
      for action in actions {
        switch action {
        case .triggerSources(let id, _):
          #expect(id > (triggered.last ?? 0))
          triggered.append(id)
        case .commitMetadata(let id, let acks):
          #expect(!committed.contains(id) && acks.count == tasks.count)
          committed.insert(id)
        case .notifyComplete(let id):
          #expect(committed.contains(id) && storageCall == id)
          ended[id, default: 0] += 1
          notified += 1
        case .abort(let id, _):
          ended[id, default: 0] += 1
          aborted += 1
        case .failJob:
          failed = true
        case .retain(let keep):
          #expect(keep == settings.retainedCheckpoints)
        }
      }
    }
    for (id, count) in ended {
      #expect(count == 1, "checkpoint \(id) ended \(count) times")
      #expect(triggered.contains(id))
    }
    if !failed {
      // Every triggered id either ended or is still pending.
      let pending = Set(c.pendingCheckpoints)
      for id in triggered { #expect(ended[id] == 1 || pending.contains(id)) }
    }
    #expect(c.statistics.completed == notified && c.statistics.failed == aborted)
    #expect(notified > 0 || failed)
  }
}

/// A small deterministic random generator for reproducible test schedules.
struct CheckpointProtocolRandom: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
