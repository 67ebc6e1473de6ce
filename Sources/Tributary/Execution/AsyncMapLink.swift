import DequeModule
import Synchronization

/// An asynchronous call of `asyncMap` did not complete within its timeout and
/// the operator has no `onTimeout` handler; the job fails with it (wrapped in
/// ``JobError/operatorFailed(operatorName:subtask:underlying:)``).
public struct AsyncCallTimeout: Error, Sendable, CustomStringConvertible {
  /// The name of the `asyncMap` operator whose call timed out.
  public let operatorName: String
  /// The operator's timeout, which the call exceeded.
  public let timeout: Duration

  /// The timeout of a call of operator `operatorName`.
  public init(operatorName: String, timeout: Duration) {
    self.operatorName = operatorName
    self.timeout = timeout
  }

  /// Names the operator and its timeout.
  public var description: String {
    "asynchronous call of operator '\(operatorName)' did not complete within \(timeout) "
      + "(give asyncMap an onTimeout handler, or a longer timeout)"
  }
}

/// What one asynchronous call produced.
enum AsyncOutcome<Out: Sendable>: Sendable {
  case value(Out)
  case timedOut
  case failed(any Error)
}

/// Where the calls of one `AsyncMapLink` deliver their outcomes; the link
/// takes them without waiting, or waits for the next one.
final class AsyncCompletions<Out: Sendable>: Sendable {
  private struct State: Sendable {
    var ready: [(Int, AsyncOutcome<Out>)] = []
    var waiter: CheckedContinuation<Void, Never>?
    var cancelled = false
  }
  private let state = Mutex(State())

  func deliver(_ sequence: Int, _ outcome: AsyncOutcome<Out>) {
    let waiter = state.withLock { state in
      state.ready.append((sequence, outcome))
      let waiter = state.waiter
      state.waiter = nil
      return waiter
    }
    waiter?.resume()
  }

  /// The outcomes delivered since the last call (oldest first).
  func take() -> [(Int, AsyncOutcome<Out>)] {
    state.withLock { state in
      if state.ready.isEmpty { return [] }
      let ready = state.ready
      state.ready = []
      return ready
    }
  }

  /// Returns once an outcome is ready, or the calling task is cancelled.
  func wait() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let now = state.withLock { state in
          if !state.ready.isEmpty || state.cancelled { return true }
          state.waiter = continuation
          return false
        }
        if now { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        state.cancelled = true
        let waiter = state.waiter
        state.waiter = nil
        return waiter
      }
      waiter?.resume()
    }
  }
}

/// How an `asyncMap` operator behaves (built by the API, one per operator).
struct AsyncMapSpec<In: Sendable, Out: Sendable>: Sendable {
  let function: @Sendable (In) async throws -> Out
  let capacity: Int
  let timeout: Duration
  let ordered: Bool
  let onTimeout: (@Sendable (In) throws -> Out?)?
  /// Encodes the inputs in flight for a snapshot, and decodes them on restore.
  let encode: @Sendable ([In]) -> [UInt8]
  let decode: @Sendable ([UInt8]) throws -> [In]
}

/// The link of an `asyncMap` operator: starts one child task per record (up
/// to `capacity` records not yet emitted), emits their results in input order
/// (ordered) or as they complete but never across a watermark (unordered), and
/// awaits a completion before starting another call when full (backpressure).
///
/// Results are collected whenever the task calls into the link (every batch,
/// flush and tick), so a result waits at most a tick interval when no input
/// arrives. At a barrier the inputs whose results were not yet emitted go into
/// the snapshot; after a restore they are called again before any new input.
/// At end of input every call is awaited and emitted before `finish` goes on.
/// `close` cancels the calls still running.
final class AsyncMapLink<In: Sendable, Out: Sendable>: Downstream<In> {
  private enum Slot {
    case record(Int)
    case watermark(Int64)
  }
  /// Unordered mode: the records between two watermarks.
  private struct Segment {
    var running: Set<Int> = []
    var done: [(Int, Out?)] = []
    var watermark: Int64?
  }

  private let spec: AsyncMapSpec<In, Out>
  private let next: Downstream<Out>
  private let context: OperatorContext
  private let completions = AsyncCompletions<Out>()
  private var nextSequence = 0
  /// Every record whose result is not emitted yet, by sequence number.
  private var inputs: [Int: In] = [:]
  private var tasks: [Int: AsyncCall] = [:]
  /// Restored inputs not started yet.
  private var backlog: Deque<In> = []
  // Ordered mode.
  private var order: Deque<Slot> = []
  private var results: [Int: Out?] = [:]
  // Unordered mode.
  private var segments: Deque<Segment> = [Segment()]
  private var segmentOf: [Int: Int] = [:]
  private var headSegment = 0
  private var buffer: [Out] = []

  init(spec: AsyncMapSpec<In, Out>, context: OperatorContext, next: Downstream<Out>) throws {
    self.spec = spec
    self.next = next
    self.context = context
    super.init()
    // Every subtask sees every former subtask's snapshot and takes its share.
    for (index, bytes) in context.restoredState.enumerated()
    where index % context.parallelism == context.subtaskIndex {
      try guarded { backlog.append(contentsOf: try spec.decode(bytes)) }
    }
  }

  override func push(_ batch: inout [In]) async throws {
    if !backlog.isEmpty { try await startBacklog() }
    for record in batch {
      while inputs.count >= spec.capacity { try await awaitCompletion() }
      start(record)
    }
    try await collect()
  }

  override func flush() async throws {
    try await collect()
    try await next.flush()
  }

  override func tick() async throws {
    if !backlog.isEmpty { try await startBacklog() }
    try await collect()
    try await next.tick()
  }

  override func pushWatermark(_ watermark: Int64) async throws {
    try await collect()
    if spec.ordered {
      if order.isEmpty {
        try await next.pushWatermark(watermark)
      } else {
        order.append(.watermark(watermark))
      }
    } else {
      if segments.count == 1 && segments[0].running.isEmpty {
        try await next.pushWatermark(watermark)
      } else {
        segments[segments.count - 1].watermark = watermark
        segments.append(Segment())
      }
    }
  }

  override func pushIdleness(_ idle: Bool) async throws {
    try await next.pushIdleness(idle)
  }

  override func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder)
    async throws
  {
    try await collect()
    let pending = inputs.sorted { $0.key < $1.key }.map(\.value) + backlog
    let encode = spec.encode
    snapshot.add(operatorID: context.operatorID) { OperatorSnapshot(bytes: encode(pending)) }
    try await next.pushBarrier(barrier, into: snapshot)
  }

  override func finish() async throws {
    try await startBacklog()
    while !inputs.isEmpty { try await awaitCompletion() }
    try await collect()
    try await next.finish()
  }

  override func collectFinalState(into snapshot: TaskSnapshotBuilder) throws {
    try next.collectFinalState(into: snapshot)
  }

  override func close() {
    for task in tasks.values { task.cancel() }
    tasks.removeAll()
    next.close()
  }

  // MARK: Calls

  private func start(_ record: In) {
    let sequence = nextSequence
    nextSequence += 1
    inputs[sequence] = record
    if spec.ordered {
      order.append(.record(sequence))
    } else {
      segments[segments.count - 1].running.insert(sequence)
      segmentOf[sequence] = headSegment + segments.count - 1
    }
    tasks[sequence] = startCall(
      spec.function, record, timeout: spec.timeout, sequence: sequence, into: completions)
  }

  private func startBacklog() async throws {
    while let record = backlog.first {
      while inputs.count >= spec.capacity { try await awaitCompletion() }
      backlog.removeFirst()
      start(record)
    }
  }

  private func awaitCompletion() async throws {
    var ready = completions.take()
    while ready.isEmpty {
      await completions.wait()
      try Task.checkCancellation()
      ready = completions.take()
    }
    try await apply(ready)
  }

  /// Emits what the calls completed so far, without waiting.
  private func collect() async throws {
    let ready = completions.take()
    if !ready.isEmpty { try await apply(ready) }
  }

  private func apply(_ ready: [(Int, AsyncOutcome<Out>)]) async throws {
    for (sequence, outcome) in ready {
      tasks[sequence] = nil
      let result: Out?
      switch outcome {
      case .value(let value): result = value
      case .timedOut:
        guard let onTimeout = spec.onTimeout else {
          throw JobError.operatorFailed(
            operatorName: context.operatorName, subtask: context.subtaskIndex,
            underlying: AsyncCallTimeout(operatorName: context.operatorName, timeout: spec.timeout)
          )
        }
        let input = inputs[sequence]!
        var replacement: Out?
        try guarded { replacement = try onTimeout(input) }
        result = replacement
      case .failed(let error):
        // Calls are cancelled only by `close` and by their timer (whose
        // outcome wins), so any error here, even a CancellationError, is the
        // call's own failure.
        if let error = error as? JobError { throw error }
        throw JobError.operatorFailed(
          operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
      }
      if spec.ordered {
        results[sequence] = .some(result)
      } else {
        completeUnordered(sequence, result)
      }
    }
    if spec.ordered { try await emitOrdered() } else { try await emitUnordered() }
  }

  private func emitOrdered() async throws {
    while let slot = order.first {
      switch slot {
      case .record(let sequence):
        guard let result = results.removeValue(forKey: sequence) else {
          try await pushBuffer()
          return
        }
        order.removeFirst()
        inputs[sequence] = nil
        if let result { buffer.append(result) }
      case .watermark(let watermark):
        order.removeFirst()
        try await pushBuffer()
        try await next.pushWatermark(watermark)
      }
    }
    try await pushBuffer()
  }

  private func completeUnordered(_ sequence: Int, _ result: Out?) {
    let index = segmentOf.removeValue(forKey: sequence)! - headSegment
    segments[index].running.remove(sequence)
    if index == 0 {
      inputs[sequence] = nil
      if let result { buffer.append(result) }
    } else {
      segments[index].done.append((sequence, result))
    }
  }

  private func emitUnordered() async throws {
    while segments.count > 1 && segments[0].running.isEmpty {
      let watermark = segments.removeFirst().watermark!
      headSegment += 1
      try await pushBuffer()
      try await next.pushWatermark(watermark)
      for (sequence, result) in segments[0].done {
        inputs[sequence] = nil
        if let result { buffer.append(result) }
      }
      segments[0].done.removeAll()
    }
    try await pushBuffer()
  }

  private func pushBuffer() async throws {
    if buffer.isEmpty { return }
    var batch = buffer
    buffer = []
    try await next.push(&batch)
  }

  private func guarded(_ body: () throws -> Void) throws {
    do { try body() } catch let error as JobError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw JobError.operatorFailed(
        operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
    }
  }
}

/// One call in flight: its task, the timer that cancels it, and whether its
/// outcome was delivered (the first of result and timeout wins).
final class AsyncCall: Sendable {
  private struct State: Sendable {
    var delivered = false
    var call: Task<Void, Never>?
    var timer: Task<Void, Never>?
  }
  private let state = Mutex(State())

  /// Whether the caller is the first to deliver an outcome.
  func claim() -> Bool {
    state.withLock { state in
      if state.delivered { return false }
      state.delivered = true
      return true
    }
  }

  func set(call: Task<Void, Never>, timer: Task<Void, Never>) {
    let finished = state.withLock { state in
      state.call = call
      state.timer = timer
      return state.delivered
    }
    if finished { timer.cancel() }
  }

  /// The call completed: its timer is no longer needed.
  func cancelTimer() { state.withLock { $0.timer }?.cancel() }
  /// The timeout fired: the call is no longer awaited.
  func cancelCall() { state.withLock { $0.call }?.cancel() }

  /// Cancels the call and its timer (the job stops).
  func cancel() {
    let (call, timer) = state.withLock { ($0.call, $0.timer) }
    call?.cancel()
    timer?.cancel()
  }
}

/// Starts `function(record)` in a task of its own, and a timer; whichever
/// ends first delivers its outcome to `completions` under `sequence` and
/// cancels the other. A call that ignores cancellation after its timeout
/// finishes in the background; its result is dropped.
private func startCall<In: Sendable, Out: Sendable>(
  _ function: @escaping @Sendable (In) async throws -> Out, _ record: In, timeout: Duration,
  sequence: Int, into completions: AsyncCompletions<Out>
) -> AsyncCall {
  let handle = AsyncCall()
  let call = Task {
    let outcome = await invoke(function, record)
    if handle.claim() {
      handle.cancelTimer()
      completions.deliver(sequence, outcome)
    }
  }
  let timer = Task {
    guard (try? await Task.sleep(for: timeout)) != nil else { return }
    if handle.claim() {
      handle.cancelCall()
      completions.deliver(sequence, .timedOut)
    }
  }
  handle.set(call: call, timer: timer)
  return handle
}

private func invoke<In: Sendable, Out: Sendable>(
  _ function: @escaping @Sendable (In) async throws -> Out, _ record: In
) async -> AsyncOutcome<Out> {
  do { return .value(try await function(record)) } catch { return .failed(error) }
}
