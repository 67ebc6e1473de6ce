/// What a finished job reports.
public struct JobResult: Sendable {
  /// Wall-clock time from the start of the first task to the end of the last.
  public let duration: Duration
  /// The most records that were queued at once in any one task's input
  /// channels: bounded by the channel capacity, whatever the input size.
  public let peakBufferedRecords: Int
  /// The physical graph that ran (one line per task).
  public let physicalPlan: String
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

  func run() async throws -> JobResult {
    // Mailboxes of every chain head with inputs, indexed [chain][subtask].
    var mailboxes: [[AnyObject]] = []
    for (c, chain) in plan.chains.enumerated() {
      let count = plan.channelCounts[c]
      mailboxes.append(
        count == 0
          ? []
          : (0..<chain.parallelism).map { _ in
            chain.head.makeMailbox(channels: count, capacity: config.channelCapacity)
          })
    }
    let cancelAll = MailboxCanceller(mailboxes: mailboxes)
    let start = ContinuousClock.now
    let sendableMailboxes = UncheckedBox(mailboxes)
    try await withTaskCancellationHandler {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for c in plan.chains.indices {
          for subtask in 0..<plan.chains[c].parallelism {
            group.addTask {
              try await runSubtask(chain: c, subtask: subtask, mailboxes: sendableMailboxes.value)
            }
          }
        }
        do {
          for try await _ in group {}
        } catch {
          cancelAll.cancel()
          group.cancelAll()
          while (try? await group.next()) != nil {}
          throw error
        }
      }
    } onCancel: {
      cancelAll.cancel()
    }
    var peak = 0
    for (c, chain) in plan.chains.enumerated() {
      for mailbox in mailboxes[c] { peak = max(peak, chain.head.peakBufferedRecords(mailbox)) }
    }
    return JobResult(
      duration: start.duration(to: .now), peakBufferedRecords: peak,
      physicalPlan: plan.description)
  }

  private func runSubtask(chain c: Int, subtask: Int, mailboxes: [[AnyObject]]) async throws {
    let chain = plan.chains[c]
    func context(_ node: LogicalNode) -> OperatorContext {
      OperatorContext(
        operatorName: node.name, subtaskIndex: subtask, parallelism: chain.parallelism,
        maxParallelism: config.maxParallelism, stateBackend: config.stateBackend,
        processingClock: config.processingClock)
    }
    let edges = plan.consumers[c].map { consumer in
      // A forward edge feeds only the subtask with the same index.
      let targets =
        consumer.kind == .forward
        ? [mailboxes[consumer.chainIndex][subtask]] : mailboxes[consumer.chainIndex]
      return ErasedRouterEdge(
        targets: targets,
        channels: targets.map { _ in plan.channel(of: subtask, on: consumer) },
        kind: consumer.kind,
        hashPartitioner: consumer.hashPartitioner)
    }
    var next = try chain.tail.makeRouter(edges: edges, config: config, subtask: subtask)
    defer { (next as! DownstreamBase).close() }
    for node in chain.nodes.reversed() where !node.isSource {
      next = try node.makeLink(context: context(node), next: next)
    }
    try await chain.head.run(
      context: context(chain.head), head: next,
      mailbox: mailboxes[c].isEmpty ? nil : mailboxes[c][subtask], config: config)
  }
}

/// Cancels every mailbox of a job (wakes all suspended tasks).
private struct MailboxCanceller: @unchecked Sendable {
  let mailboxes: [[AnyObject]]
  func cancel() {
    for row in mailboxes {
      for mailbox in row { (mailbox as? any CancellableMailbox)?.cancel() }
    }
  }
}

/// Mailboxes of any record type can be cancelled.
protocol CancellableMailbox: AnyObject { func cancel() }
extension Mailbox: CancellableMailbox {}

/// Carries values the engine shares read-only between its own tasks.
struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
