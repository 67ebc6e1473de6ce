import CoreMetrics
import Synchronization

/// What a finished job reports.
public struct JobResult: Sendable {
  /// Wall-clock time from the start of the first task to the end of the last.
  public let duration: Duration
  /// The most records that were queued at once in any one task's input
  /// channels: bounded by the channel capacity, whatever the input size.
  public let peakBufferedRecords: Int
  /// The physical graph that ran (one line per task).
  public let physicalPlan: String
  /// What checkpointing did (`nil` when it was off).
  public let checkpoints: CheckpointReport?
  /// How long this run took to restore its state, when it resumed from a
  /// checkpoint or savepoint: from the start of the run (finding and reading
  /// the checkpoint) until every task had restored its state and was ready to
  /// process records. `nil` when the run started without state. After
  /// restarts, this describes the last run (the one that restored last).
  public let restoreDuration: Duration?
}

/// Runs a physical plan: one Swift task per subtask of each chain.
///
/// Guarantees: returns once every task ended normally (all sinks finished);
/// when any task throws, every other task is cancelled and woken and the first
/// error is rethrown; when the calling task is cancelled, every task stops and
/// `CancellationError` is thrown. Sinks and operators are closed in every case.
struct JobExecution: Sendable {
  let plan: PhysicalPlan
  let config: JobConfiguration
  /// Checkpointing of this run, when on.
  let checkpoints: JobCheckpointSetup?
  /// When this run began on `config.runtimeClock`, before its checkpoint was
  /// read (for `restoreDuration`).
  var startedAt: Duration

  /// Runs every task; see the type's guarantees. When it returns or throws,
  /// checkpointing of this run has ended (``JobCheckpointCoordinator/close()``):
  /// no background snapshot write of this run is still going on, so a
  /// restart that follows at once cannot race it.
  func run() async throws -> JobResult {
    let result: JobResult
    do {
      result = try await runTasks()
    } catch {
      await checkpoints?.coordinator.close()
      throw error
    }
    await checkpoints?.coordinator.close()
    return result
  }

  private func runTasks() async throws -> JobResult {
    // Mailboxes of every chain head with inputs, indexed [chain][subtask].
    let mailboxes: [[any AnyMailbox]] = plan.chains.enumerated().map { c, chain in
      let count = plan.channelCounts[c]
      return count == 0
        ? []
        : (0..<chain.parallelism).map { _ in
          chain.head.makeMailbox(channels: count, capacity: config.channelCapacity)
        }
    }
    let cancelAll = MailboxCanceller(mailboxes: mailboxes)
    let clock = config.runtimeClock
    let start = clock.now()
    let ready = ReadyTasks(plan.chains.reduce(0) { $0 + $1.parallelism }, clock: clock) {
      [startedAt, checkpoints] readyAt in
      // Calibrates the adaptive interval's start-up and restore times.
      checkpoints?.adaptive?.runReady(
        afterMillis: Double((readyAt - startedAt).nanoseconds) / 1e6,
        restoredBytes: checkpoints?.restoredBytes)
    }
    try await withTaskCancellationHandler {
      try await withThrowingTaskGroup(of: Void.self) { group in
        let remaining = RunningTasks(plan.chains.reduce(0) { $0 + $1.parallelism })
        for c in plan.chains.indices {
          for subtask in 0..<plan.chains[c].parallelism {
            group.addTask {
              try await runSubtask(
                chain: c, subtask: subtask, mailboxes: mailboxes, ready: ready)
              remaining.finished()
            }
          }
        }
        if let monitor = config.monitor {
          // Samples the monitor's counters about once a second (rates, history).
          group.addTask {
            var next = ContinuousClock.now
            while remaining.count > 0 {
              if ContinuousClock.now >= next {
                monitor.sample()
                next = next + .seconds(1)
              }
              try await Task.sleep(for: .milliseconds(50))
            }
          }
        }
        if let coordinator = checkpoints?.coordinator {
          // Drives checkpoint time until every task ended; fails the job when
          // checkpointing failed more often than tolerated.
          group.addTask {
            let interval = coordinator.configuration.settings.intervalMillis ?? 1_000
            let period = Duration.milliseconds(max(2, min(50, interval / 4)))
            while remaining.count > 0 {
              coordinator.tick()
              if let failure = coordinator.failure {
                throw JobError.checkpointingFailed(failure)
              }
              if coordinator.stopRequested { throw StoppedWithSavepoint() }
              // The polling cadence is real time, so this loop also notices
              // the end of the job under a manual clock; the coordinator's
              // time (intervals, timeouts) is the runtime clock's.
              try await Task.sleep(for: period)
            }
          }
        }
        do {
          for try await _ in group {}
        } catch {
          if !(error is StoppedWithSavepoint), !(error is CancellationError),
            let adaptive = checkpoints?.adaptive, let monitor = config.monitor
          {
            // The recovery an adaptive interval times starts now, before teardown.
            adaptive.runFailed(
              nowMillis: clock.now().milliseconds,
              sourceRecords: monitor.sourceRecordsAndBusiestRatio().sourceRecords)
          }
          cancelAll.cancel()
          group.cancelAll()
          while (try? await group.next()) != nil {}
          if error is StoppedWithSavepoint { return }
          throw error
        }
      }
    } onCancel: {
      cancelAll.cancel()
    }
    if let coordinator = checkpoints?.coordinator, !coordinator.stopRequested {
      try coordinator.completeFinalCheckpoint()
    }
    var peak = 0
    for mailbox in mailboxes.joined() { peak = max(peak, mailbox.peakBufferedRecords) }
    return JobResult(
      duration: clock.now() - start, peakBufferedRecords: peak,
      physicalPlan: plan.description, checkpoints: checkpoints?.coordinator.report,
      restoreDuration: checkpoints?.restored.isEmpty == false
        ? ready.readyAt.map { $0 - startedAt } : nil)
  }

  private func runSubtask(
    chain c: Int, subtask: Int, mailboxes: [[any AnyMailbox]], ready: ReadyTasks
  ) async throws {
    let chain = plan.chains[c]
    // Routers to side-output consumers, per producing node of the chain.
    var sideOutputs: [Int: SideOutputs] = [:]
    func edge(to consumer: PhysicalPlan.Consumer) -> ErasedRouterEdge {
      // A forward edge feeds only the subtask with the same index.
      let mailboxes =
        consumer.kind == .forward
        ? [mailboxes[consumer.chainIndex][subtask]] : mailboxes[consumer.chainIndex]
      let head = plan.chains[consumer.chainIndex].head
      let targets = mailboxes.map { head.makePort(mailbox: $0, input: consumer.inputIndex) }
      return ErasedRouterEdge(
        targets: targets,
        channels: targets.map { _ in plan.channel(of: subtask, on: consumer) },
        kind: consumer.kind,
        hashPartitioner: consumer.hashPartitioner)
    }
    for consumer in plan.consumers[c] {
      guard let side = consumer.sideOutput else { continue }
      let outputs = sideOutputs[side.producer] ?? SideOutputs()
      sideOutputs[side.producer] = outputs
      plan.chains[consumer.chainIndex].head.attachAsSideOutput(
        tag: side.tag, edges: [edge(to: consumer)], config: config, subtask: subtask,
        to: outputs)
    }
    func context(_ node: LogicalNode) -> OperatorContext {
      var context = OperatorContext(
        operatorName: node.name, subtaskIndex: subtask, parallelism: chain.parallelism,
        maxParallelism: config.maxParallelism, stateBackend: config.stateBackend,
        processingClock: config.processingClock, operatorID: node.operatorID,
        restoredState: checkpoints?.restoredState(of: node, subtask: subtask) ?? [],
        sideOutputs: sideOutputs[node.id], logger: config.logger,
        metricsFactory: config.monitor?.metricsFactory ?? NOOPMetricsHandler.instance,
        jobName: config.jobName, instance: config.instances.index,
        instances: config.instances.count, generation: config.generation,
        restoredCheckpointID: checkpoints?.restoredID ?? 0)
      context.restoreRehearsals = checkpoints?.coordinator.rehearsals
      return context
    }
    let edges = plan.consumers[c].filter { $0.sideOutput == nil }.map(edge(to:))
    var next = try chain.tail.makeRouter(edges: edges, config: config, subtask: subtask)
    defer { next.close() }
    let meters = config.monitor.map { monitor in
      chain.nodes.map { monitor.meter(node: $0.id, subtask: subtask) }
    }
    let taskMeter = config.monitor?.taskMeter(vertex: c, subtask: subtask)
    // The task's first link books its event-time idleness.
    let firstLink = chain.head.isSource ? 1 : 0
    if let meters, !edges.isEmpty {
      // The chain's output: the tail's records out, and its waits on full channels.
      (next as? BackpressureReporting)?.backpressureMeter = taskMeter
      next = chain.tail.meterOutput(
        next: next, from: meters[meters.count - 1],
        task: chain.nodes.count == firstLink ? taskMeter : nil)
    }
    for (index, node) in chain.nodes.enumerated().reversed() where !node.isSource {
      next = try node.makeLink(context: context(node), next: next)
      if let meters {
        // What this operator receives is what the one before it emitted.
        next = node.meterInput(
          next: next, into: meters[index], from: index > 0 ? meters[index - 1] : nil,
          task: index == firstLink ? taskMeter : nil)
      }
    }
    let checkpointing = checkpoints.map {
      TaskCheckpointing(
        coordinator: $0.coordinator, task: TaskID("task\(c)", subtask: subtask),
        subtask: subtask, parallelism: chain.parallelism,
        mode: $0.coordinator.configuration.settings.mode)
    }
    ready.taskReady()
    taskMeter?.started()
    defer { taskMeter?.ended() }
    try await chain.head.run(
      context: context(chain.head), head: next,
      mailbox: mailboxes[c].isEmpty ? nil : mailboxes[c][subtask],
      sharedChannels: plan.sharedChannels(of: c), config: config,
      checkpointing: checkpointing, meter: taskMeter)
  }
}

/// Cancels every mailbox of a job (wakes all suspended tasks).
private struct MailboxCanceller: Sendable {
  let mailboxes: [[any AnyMailbox]]
  func cancel() {
    for row in mailboxes {
      for mailbox in row { mailbox.cancel() }
    }
  }
}

/// How many tasks of a job are still running. Thread-safe.
final class RunningTasks: Sendable {
  private let remaining: Mutex<Int>
  init(_ count: Int) { remaining = Mutex(count) }
  /// One task ended.
  func finished() { remaining.withLock { $0 -= 1 } }
  /// Tasks still running.
  var count: Int { remaining.withLock { $0 } }
}

/// Notes when the last task of a run has built its operators (restoring their
/// state) and is about to process records. Thread-safe.
final class ReadyTasks: Sendable {
  private let state: Mutex<(remaining: Int, readyAt: Duration?)>
  private let clock: any RuntimeClock
  private let onAllReady: @Sendable (Duration) -> Void
  /// Counts `count` tasks; `onAllReady` gets the time the last one was ready.
  init(
    _ count: Int, clock: any RuntimeClock,
    onAllReady: @escaping @Sendable (Duration) -> Void = { _ in }
  ) {
    state = Mutex((count, nil))
    self.clock = clock
    self.onAllReady = onAllReady
  }
  /// One task is ready.
  func taskReady() {
    let now = clock.now()
    let all = state.withLock {
      $0.remaining -= 1
      if $0.remaining == 0 { $0.readyAt = now }
      return $0.remaining == 0
    }
    if all { onAllReady(now) }
  }
  /// When every task was ready, if they all were.
  var readyAt: Duration? { state.withLock { $0.readyAt } }
}

/// Ends a job whose stop-with-savepoint completed (not a failure).
struct StoppedWithSavepoint: Error {}
