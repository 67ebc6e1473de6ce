/// Runs one source subtask: reads batches and pushes them down its chain,
/// optionally at a limited rate, until the source finishes or the job is cancelled.
struct SourceDriver<Out: Sendable> {
  let reader: SourceReader<Out>
  let next: Downstream<Out>
  let context: OperatorContext
  let batchSize: Int
  /// This subtask's share of the source's rate limit, in records per second.
  let ratePerSecond: Double?
  /// How often time-driven work (timers, periodic watermarks) gets a chance to run.
  let tickInterval: Duration
  /// The job's checkpointing, if on.
  let checkpointing: TaskCheckpointing?
  /// The runtime clock (rate limit, back-off, ticks, snapshot durations).
  let clock: any RuntimeClock
  /// Where time waiting for input (back-off, rate limit) is booked, when the job is monitored.
  var meter: TaskMeter? = nil

  func run() async throws {
    let limit = ratePerSecond.map { max(1, min(batchSize, Int($0 / 200))) } ?? batchSize
    var buffer: [Out] = []
    buffer.reserveCapacity(limit)
    let start = clock.now()
    var lastTick = start
    var emitted = 0
    var batches = 0
    var idleBackoff = Duration.milliseconds(1)
    while true {
      try Task.checkCancellation()
      if let checkpointing,
        let barrier = checkpointing.coordinator.takeTrigger(for: checkpointing.task)
      {
        // The source's position and its chained operators' state, then the
        // barrier, in order with the records already pushed.
        let started = clock.now()
        let builder = TaskSnapshotBuilder(
          checkpoint: barrier.id, subtask: context.subtaskIndex,
          storage: checkpointing.coordinator.storage)
        builder.isSavepoint = barrier.isSavepoint
        if let position = reader.position {
          builder.add(operatorID: context.operatorID, bytes: position())
        }
        try await next.pushBarrier(barrier, into: builder)
        try await side { try await $0.pushBarrier(barrier, into: builder) }
        checkpointing.acknowledgeInBackground(
          builder, syncMillis: (clock.now() - started).milliseconds, alignmentMillis: 0)
      }
      buffer.removeAll(keepingCapacity: true)
      let status: SourceStatus
      do { status = try reader.read(&buffer, limit) } catch {
        throw JobError.operatorFailed(
          operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
      }
      // The chain may take the records out of `buffer`: count them first.
      let read = buffer.count
      if read > 0 { try await next.push(&buffer) }
      if let side = context.sideOutputs, side.pending { try await side.drain() }
      try await emitSignals()
      if case .finished = status { break }
      emitted += read
      batches += 1
      let now = clock.now()
      if now - lastTick >= tickInterval {
        lastTick = now
        try await next.tick()
        try await side { try await $0.tick() }
      }
      if read == 0 {
        // Nothing available right now: let time-driven work happen, then back off.
        try await next.flush()
        try await side { try await $0.flush() }
        try await next.tick()
        try await side { try await $0.tick() }
        lastTick = clock.now()
        try await idle { try await clock.sleep(for: idleBackoff) }
        idleBackoff = min(idleBackoff * 2, tickInterval)
        continue
      }
      idleBackoff = .milliseconds(1)
      if let rate = ratePerSecond {
        let due = start + .seconds(Double(emitted) / rate)
        if due > clock.now() {
          try await next.flush()
          try await side { try await $0.flush() }
          try await next.tick()
          try await side { try await $0.tick() }
          lastTick = clock.now()
          try await idle { try await clock.sleep(until: due) }
        }
      } else if batches % 64 == 0 {
        await Task.yield()
      }
    }
    try await side { try await $0.finish() }
    try await next.finish()
    if let checkpointing {
      let builder = TaskSnapshotBuilder(checkpoint: 0, subtask: context.subtaskIndex)
      if let position = reader.position {
        builder.add(operatorID: context.operatorID, bytes: position())
      }
      try next.collectFinalState(into: builder)
      try checkpointing.finished(builder)
    }
  }

  /// Runs `wait` (a sleep while the source has nothing to emit), booking it as idle time.
  private func idle(_ wait: () async throws -> Void) async throws {
    guard let meter else { return try await wait() }
    let start = MonitorClock.nanos()
    defer { meter.waitedForInput(MonitorClock.since(start)) }
    try await wait()
  }

  /// Forwards `body` to the source's side outputs (dead letters), if any.
  private func side(_ body: (DownstreamBase & SideForwarding) async throws -> Void) async throws {
    try await context.sideOutputs?.forward(body)
  }

  /// Forwards the watermark and idleness the reader generated, in
  /// ``ControlSignals/drain()`` order, to the chain and to the side outputs.
  private func emitSignals() async throws {
    guard let signals = reader.signals else { return }
    for signal in signals.drain() {
      switch signal {
      case .watermark(let watermark):
        try await next.pushWatermark(watermark)
        try await side { try await $0.pushWatermark(watermark) }
      case .idleness(let idle):
        try await next.pushIdleness(idle)
        try await side { try await $0.pushIdleness(idle) }
      }
    }
  }
}
