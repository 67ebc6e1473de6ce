/// Runs one non-source subtask: takes elements from its mailbox and pushes
/// them down its chain until every input channel has ended.
///
/// Event time: the task's watermark is the minimum of the latest watermarks of
/// its input channels, ignoring idle and ended channels; it is forwarded only
/// when it advances, so it never moves backwards. When every open channel is
/// idle, the task reports itself idle downstream.
struct InputDriver<In: Sendable> {
  let mailbox: Mailbox<In>
  let head: Downstream<In>
  /// Per channel: whether its batches may be read by other tasks too (a
  /// fan-out); those are read in place (``Downstream/push(shared:)``), the
  /// others handed down the chain to be taken.
  let sharedChannels: [Bool]
  let tickInterval: Duration
  /// The job's checkpointing, if on.
  let checkpointing: TaskCheckpointing?
  /// The runtime clock (ticks, waits, alignment and snapshot durations).
  let clock: any RuntimeClock
  /// Where time waiting for input is booked, when the job is monitored.
  var meter: TaskMeter? = nil

  func run() async throws {
    let channels = mailbox.channelCount
    var valve = WatermarkValve(channelCount: channels)
    var lastTick = clock.now()
    var aligner = BarrierAligner(
      channelCount: channels, mode: checkpointing?.mode ?? .exactlyOnce)
    var blocked = [Bool](repeating: false, count: channels)
    var savepointBarriers = Set<Int64>()
    var anyBlocked = false

    func snapshot(_ id: Int64, alignmentMillis: Int64) async throws {
      guard let checkpointing else { return }
      let started = clock.now()
      let builder = TaskSnapshotBuilder(
        checkpoint: id, subtask: checkpointing.subtask, storage: checkpointing.coordinator.storage)
      let isSavepoint = savepointBarriers.remove(id) != nil
      builder.isSavepoint = isSavepoint
      try await head.pushBarrier(CheckpointBarrier(id: id, isSavepoint: isSavepoint), into: builder)
      checkpointing.acknowledgeInBackground(
        builder, syncMillis: (clock.now() - started).milliseconds,
        alignmentMillis: alignmentMillis)
    }

    func apply(_ actions: [AlignmentAction]) async throws {
      for action in actions {
        if case .snapshot(let id, let alignment) = action {
          try await snapshot(id, alignmentMillis: alignment)
        }
      }
      anyBlocked = false
      for c in 0..<channels {
        blocked[c] = aligner.isBlocked(channel: c)
        anyBlocked = anyBlocked || blocked[c]
      }
    }

    func forward(_ outputs: [WatermarkValve.Output]) async throws {
      for output in outputs {
        switch output {
        case .watermark(let watermark): try await head.pushWatermark(watermark)
        case .idleness(let isIdle): try await head.pushIdleness(isIdle)
        }
      }
    }

    while valve.openChannels > 0 {
      var next = mailbox.tryReceive(blocked: anyBlocked ? blocked : nil)
      if next == nil {
        try await head.flush()
        try await head.tick()
        lastTick = clock.now()
        let waitStart = meter == nil ? 0 : MonitorClock.nanos()
        let received = await mailbox.receive(
          until: lastTick + tickInterval, clock: clock, blocked: anyBlocked ? blocked : nil)
        meter?.waitedForInput(MonitorClock.since(waitStart))
        switch received {
        case .element(let channel, let element): next = (channel, element)
        case .timedOut: continue
        case .cancelled: throw CancellationError()
        }
      }
      guard let (channel, element) = next else { throw CancellationError() }
      switch element {
      case .records(var batch):
        if sharedChannels[channel] {
          try await head.push(shared: batch)
        } else {
          try await head.push(&batch)
        }
        let now = clock.now()
        if now - lastTick >= tickInterval {
          lastTick = now
          try await head.tick()
        }
      case .watermark(let watermark):
        try await forward(valve.watermark(watermark, channel: channel))
      case .idleness(let isIdle):
        try await forward(valve.idleness(isIdle, channel: channel))
      case .barrier(let barrier):
        if barrier.isSavepoint { savepointBarriers.insert(barrier.id) }
        try await apply(
          aligner.barrier(checkpoint: barrier.id, channel: channel, nowMillis: nowMillis()))
      case .endOfInput:
        try await forward(valve.endOfInput(channel: channel))
        try await apply(aligner.endOfInput(channel: channel, nowMillis: nowMillis()))
      }
    }
    try await head.finish()
    if let checkpointing {
      let builder = TaskSnapshotBuilder(checkpoint: 0, subtask: checkpointing.subtask)
      try head.collectFinalState(into: builder)
      try checkpointing.finished(builder)
    }
  }

  func nowMillis() -> Int64 { clock.now().milliseconds }
}
