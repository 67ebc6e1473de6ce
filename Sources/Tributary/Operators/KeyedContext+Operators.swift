/// What the keyed operators (``KeyedProcessOperator``, ``KeyedCoProcessOperator``)
/// share: opening a restored context and firing due timers with their key current.
extension KeyedContext {
  /// A context over a new keyed state backend for `operatorContext`, with the
  /// subtask's restored state (its key groups) loaded.
  @inlinable
  static func restored(from operatorContext: OperatorContext) throws -> KeyedContext<Key> {
    let backend = try KeyedStateBackend<Key>(context: operatorContext)
    try backend.restoreFromContext()
    return try KeyedContext(operatorContext: operatorContext, stateBackend: backend)
  }

  /// Reloads restored timers; call after the function declared its state.
  @inlinable
  func reloadTimers() throws {
    if stateBackend.hasState(named: "process-timers") { try timers.reload() }
  }

  /// Advances event time to `watermark` and calls `onTimer` for every
  /// event-time timer it passed, oldest first, with the timer's key and
  /// timestamp current; outputs go after those already in `output`.
  @inlinable
  func fireEventTimers<Output>(
    upTo watermark: Int64, into output: inout [Output],
    _ onTimer: (Int64, inout Collector<Output>) throws -> Void
  ) throws {
    if watermark > self.watermark { self.watermark = watermark }
    guard let timers = timerService else { return }
    var collector = Collector(buffer: output, side: operatorContext.sideOutputs)
    output = []
    defer { finishFiring(&collector, into: &output) }
    try timers.advanceWatermark(to: watermark) { time, key, _ in
      stateBackend.current.key = key
      currentTimestamp = time
      try onTimer(time, &collector)
    }
  }

  /// Calls `onTimer` for every processing-time timer due at the processing
  /// clock's time, with the timer's key and timestamp current.
  @inlinable
  func fireProcessingTimers<Output>(
    into output: inout [Output], _ onTimer: (Int64, inout Collector<Output>) throws -> Void
  ) throws {
    guard let timers = timerService, let next = timers.nextProcessingTime else { return }
    let now = currentProcessingTime()
    guard next <= now else { return }
    var collector = Collector(buffer: output, side: operatorContext.sideOutputs)
    output = []
    defer { finishFiring(&collector, into: &output) }
    try timers.advanceProcessingTime(to: now) { time, key, _ in
      stateBackend.current.key = key
      currentTimestamp = time
      try onTimer(time, &collector)
    }
  }

  /// Runs `body` with a collector (with the operator's side outputs) whose
  /// records go after those already in `output`.
  @inlinable
  func collecting<Output>(
    into output: inout [Output], _ body: (inout Collector<Output>) throws -> Void
  ) rethrows {
    var collector = Collector(buffer: output, side: operatorContext.sideOutputs)
    output = []
    defer { output = collector.buffer }
    try body(&collector)
  }

  /// After firing: the outputs back into `output`, no key or timestamp current.
  @inlinable
  func finishFiring<Output>(_ collector: inout Collector<Output>, into output: inout [Output]) {
    output = collector.buffer
    stateBackend.current.key = nil
    currentTimestamp = nil
  }
}
