/// An event-time window on a stream without timestamps.
public struct MissingTimestampsError: Error, CustomStringConvertible {
  /// The window operator.
  public let operatorName: String
  /// Creates the error for `operatorName`.
  public init(operatorName: String) { self.operatorName = operatorName }
  public var description: String {
    "event-time window '\(operatorName)' on a stream without timestamps: call "
      + "assignTimestampsAndWatermarks(…) (or withTimestamps(…)) before keyBy(…).window(…)"
  }
}

/// The keyed window operator: assigns records to windows, keeps one
/// accumulator per key and window in the state backend (namespace = window),
/// and emits results when the trigger fires.
///
/// Semantics follow Flink: a window is late once the watermark passed its
/// `maxTimestamp + allowedLateness`; a record whose windows are all late goes
/// to the late-data output (if any) and nowhere else; a late record within
/// the allowed lateness updates its window and makes it fire again; window
/// state is removed at `maxTimestamp + allowedLateness` (event time) or at the
/// window end (processing time). Session windows merge their accumulators.
///
/// Event-time windows with the default trigger and no allowed lateness (the
/// common case) keep their end-of-window timers in memory only: such a timer
/// exists exactly while its window has contents, so a restore rebuilds the
/// timers from the restored contents instead of storing them beside it
/// (which cost a state write per new window and a read and two deletes per
/// fired one). Firing such a window reads and removes its contents in one step.
///
/// Sliding windows of such an operator whose size is a multiple of the slide
/// keep, when the operator is built `sliceable` (incremental aggregates, whose
/// `merge` does not depend on the order records came in), one accumulator per
/// slide-long slice instead of one per window: a record updates one
/// accumulator instead of `size / slide`, and a window fires with the merge of
/// its slices (see ``WindowSlices``). Each slice's state
/// (`window-slices`) also holds the end of its last window that fired, so a
/// restore knows which of its windows are still to fire; it is brought up to
/// date when a snapshot is taken, not at every firing (which made every slice
/// dirty in the state cache once per window).
public final class WindowOperator<
  Key: BinaryCodable & Hashable, T: Sendable, Acc: BinaryCodable, Output: Sendable
>: StreamOperator {
  public typealias Input = T

  @usableFromInline let assigner: WindowAssigner
  @usableFromInline let trigger: any WindowTrigger
  @usableFromInline let defaultEventTimeTrigger: Bool
  /// Window-end timers live in `windowEnds` (memory) and are rebuilt from
  /// `contents` on restore, instead of in the stored timer service.
  @usableFromInline let timersFromContents: Bool
  @usableFromInline var windowEnds = TimerHeap<Key, TimeWindow>()
  /// The slices of sliding windows, when the operator keeps one accumulator
  /// per slice (`nil` after restoring per-window state: see `open`).
  @usableFromInline var slices: WindowSlices?
  /// For each key and pending window end: which of the window's slices hold
  /// contents (bit i: slice i). In memory; rebuilt on restore.
  @usableFromInline let sliceMasks = OpenHashMap<StateKey<Key, Int64>, UInt64>()
  /// The slices' accumulators, when the operator keeps one per slice.
  @usableFromInline var sliceContents: NamespacedState<Key, TimeWindow, SliceAccumulator<Acc>>!
  /// Slices some of whose windows fired since the last snapshot, with the
  /// end of the last of them (written into their state at the next snapshot).
  @usableFromInline let firedSlices = OpenHashMap<StateKey<Key, TimeWindow>, Int64>()
  @usableFromInline let allowedLateness: Int64
  @usableFromInline let keySelector: @Sendable (T) -> Key
  @usableFromInline let timestampOf: (@Sendable (T) -> Int64)?
  @usableFromInline let add: (T, inout Acc?) -> Void
  @usableFromInline let merge: (Acc, Acc) -> Acc
  @usableFromInline let emit: (Key, TimeWindow, Acc, inout Collector<Output>) throws -> Void
  @usableFromInline let late: ((T) -> Output)?

  @usableFromInline var name = "Window"
  @usableFromInline var backend: KeyedStateBackend<Key>!
  @usableFromInline var contents: NamespacedState<Key, TimeWindow, Acc>!
  @usableFromInline var triggerValues: NamespacedState<Key, TimeWindow, Int64>!
  @usableFromInline var sessions: NamespacedState<Key, VoidNamespace, [TimeWindow]>!
  @usableFromInline var timers: TimerService<Key, TimeWindow>!
  @usableFromInline var clock: any ProcessingClock = SystemProcessingClock()
  /// The side outputs of this subtask (window `process` may emit to them).
  @usableFromInline var sideOutputs: SideOutputs?
  @usableFromInline let triggerContext = TriggerContext()
  @usableFromInline var currentKey: Key?
  @usableFromInline var currentWindow = TimeWindow.global

  /// Creates the operator of one subtask.
  @inlinable
  public init(
    assigner: WindowAssigner, trigger: (any WindowTrigger)?, allowedLateness: Int64,
    keySelector: @escaping @Sendable (T) -> Key, timestampOf: (@Sendable (T) -> Int64)?,
    add: @escaping (T, inout Acc?) -> Void, merge: @escaping (Acc, Acc) -> Acc,
    emit: @escaping (Key, TimeWindow, Acc, inout Collector<Output>) throws -> Void,
    late: ((T) -> Output)?, sliceable: Bool = false
  ) {
    self.assigner = assigner
    let chosen: any WindowTrigger
    if let trigger {
      chosen = trigger
    } else if assigner.isGlobal {
      chosen = NeverTrigger()
    } else if assigner.domain == .eventTime {
      chosen = EventTimeTrigger()
    } else {
      chosen = ProcessingTimeTrigger()
    }
    self.trigger = chosen
    defaultEventTimeTrigger = chosen is EventTimeTrigger
    self.allowedLateness = assigner.domain == .eventTime ? max(0, allowedLateness) : 0
    timersFromContents =
      defaultEventTimeTrigger && assigner.domain == .eventTime && !assigner.isMerging
      && !assigner.isGlobal && self.allowedLateness == 0
    if sliceable && timersFromContents,
      case .sliding(let size, let slide, let offset) = assigner.kind
    {
      slices = WindowSlices(size: size, slide: slide, offset: offset)
    } else {
      slices = nil
    }
    self.keySelector = keySelector
    self.timestampOf = timestampOf
    self.add = add
    self.merge = merge
    self.emit = emit
    self.late = late
  }

  public func open(_ context: OperatorContext) throws {
    name = context.operatorName
    sideOutputs = context.sideOutputs
    clock = context.processingClock
    backend = try KeyedStateBackend<Key>(context: context)
    try backend.restoreFromContext()
    contents = try backend.namespacedState("window-contents")
    triggerValues = try backend.namespacedState("window-trigger")
    sessions = try backend.namespacedState("window-sessions")
    timers = try TimerService(name: "window-timers", backend: backend)
    if slices != nil { sliceContents = try backend.namespacedState("window-slices") }
    if !context.restoredState.isEmpty {
      try timers.reload()
      if slices != nil, try Self.hasEntries(contents) {
        // Restored from per-window state (a snapshot taken before sliding
        // windows were sliced): keep per-window state, so that each window
        // fires once with all its records.
        slices = nil
      }
      if timersFromContents { try rebuildWindowEnds() }
    }
    triggerContext.registerTimer = { [unowned self] domain, time in
      try timers.register(domain, at: time, key: currentKey!, namespace: currentWindow)
    }
    triggerContext.deleteTimer = { [unowned self] domain, time in
      try timers.delete(domain, at: time, key: currentKey!, namespace: currentWindow)
    }
    triggerContext.readValue = { [unowned self] in
      try triggerValues.get(currentKey!, currentWindow)
    }
    triggerContext.writeValue = { [unowned self] value in
      if let value {
        try triggerValues.put(currentKey!, currentWindow, value)
      } else {
        try triggerValues.remove(currentKey!, currentWindow)
      }
    }
  }

  private struct FoundEntry: Error {}

  /// Whether `state` holds any entry.
  static func hasEntries(_ state: NamespacedState<Key, TimeWindow, Acc>) throws -> Bool {
    do {
      try state.forEach { _, _ in throw FoundEntry() }
    } catch is FoundEntry {
      return true
    }
    return false
  }

  /// One window-end timer per restored window (or per window a restored
  /// slice still has to fire), in time order.
  func rebuildWindowEnds() throws {
    windowEnds = TimerHeap()
    guard let slices else {
      var windows: [StateKey<Key, TimeWindow>] = []
      try contents.forEach { address, _ in windows.append(address) }
      windows.sort { $0.namespace.maxTimestamp < $1.namespace.maxTimestamp }
      for window in windows {
        windowEnds.push(window.namespace.maxTimestamp, window.key, window.namespace)
      }
      return
    }
    var restored: [(slice: StateKey<Key, TimeWindow>, firedThrough: Int64)] = []
    try sliceContents.forEach { address, entry in restored.append((address, entry.firedThrough)) }
    restored.sort { $0.slice.namespace.start < $1.slice.namespace.start }
    sliceMasks.removeAll()
    for (slice, firedThrough) in restored {
      markSlice(key: slice.key, slice: slice.namespace, firedThrough: firedThrough, slices: slices)
    }
  }

  /// Notes that `slice` of `key` holds contents for each of its windows that
  /// ends after `firedThrough`, registering the end of each window not yet pending.
  @inlinable
  func markSlice(key: Key, slice: TimeWindow, firedThrough: Int64, slices: WindowSlices) {
    slices.forEachWindow(of: slice) { end, index in
      guard end > firedThrough else { return }
      let isNew = sliceMasks.modify(StateKey(key, end)) { mask -> Bool in
        let fresh = mask == nil
        mask = (mask ?? 0) | (1 << UInt64(index))
        return fresh
      }
      if isNew { windowEnds.push(end, key, slices.window(endingAt: end)) }
    }
  }

  /// Sliding windows kept per slice: one state update per record.
  @inlinable
  func processSliced(
    _ batch: [T], slices: WindowSlices, timestampOf: @Sendable (T) -> Int64,
    out: inout Collector<Output>
  ) throws {
    let watermark = timers.currentWatermark
    for record in batch {
      let key = keySelector(record)
      let slice = slices.slice(containing: timestampOf(record))
      if slices.lastWindowEnd(of: slice) <= watermark {
        if let late { out.emit(late(record)) }
        continue
      }
      let isNew = try sliceContents.modify(key, slice) { entry -> Bool in
        let fresh = entry == nil
        if fresh {
          // Windows the watermark passed are late for this slice: they
          // never fire with it, after a restore neither.
          entry = SliceAccumulator(acc: nil, firedThrough: watermark)
        }
        add(record, &entry!.acc)
        return fresh
      }
      guard isNew else { continue }
      markSlice(key: key, slice: slice, firedThrough: watermark, slices: slices)
    }
  }

  /// Fires the window ending at `end` of `key` from its slices in `mask`:
  /// merges their accumulators in time order, removes the window's first
  /// slice (no later window holds it) and notes the firing on the others.
  @inlinable
  func fireSliced(
    key: Key, end: Int64, window: TimeWindow, slices: WindowSlices, out: inout Collector<Output>
  ) throws {
    guard let mask = sliceMasks.removeValue(forKey: StateKey(key, end)) else { return }
    var acc: Acc?
    for index in 0..<slices.slicesPerWindow where mask & (1 << UInt64(index)) != 0 {
      let slice = slices.slice(index, of: window)
      let part: Acc?
      if index == 0 {
        part = try sliceContents.modify(key, slice) { entry -> Acc? in
          defer { entry = nil }
          return entry?.acc
        }
        firedSlices.removeValue(forKey: StateKey(key, slice))
      } else {
        part = try sliceContents.get(key, slice)?.acc
        firedSlices.set(end, forKey: StateKey(key, slice))
      }
      if let part { acc = acc.map { merge($0, part) } ?? part }
    }
    if let acc { try emit(key, window, acc, &out) }
  }

  /// Registers the timer that fires `window` of `key` at its end: in memory
  /// when `timersFromContents`, else in the stored timer service.
  @inlinable
  func registerWindowEnd(key: Key, window: TimeWindow) throws {
    if timersFromContents {
      windowEnds.push(window.maxTimestamp, key, window)
    } else {
      try timers.register(.eventTime, at: window.maxTimestamp, key: key, namespace: window)
    }
  }

  /// Fires, in time order, the windows whose end the watermark reached: each
  /// window's contents are read and removed in one step and emitted.
  @inlinable
  func fireWindowEnds(upTo watermark: Int64, out: inout Collector<Output>) throws {
    while let top = windowEnds.top, top.timestamp <= watermark {
      _ = windowEnds.pop()
      currentKey = top.key
      currentWindow = top.namespace
      backend.current.key = top.key
      if let slices {
        try fireSliced(
          key: top.key, end: top.timestamp, window: top.namespace, slices: slices, out: &out)
        continue
      }
      let acc = try contents.modify(top.key, top.namespace) { acc -> Acc? in
        defer { acc = nil }
        return acc
      }
      if let acc { try emit(top.key, top.namespace, acc, &out) }
    }
  }

  public func close() { backend?.close() }

  public func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )? {
    if slices != nil { try recordFiredSlices() }
    return try backend?.prepareSnapshot(request)
  }

  /// Writes into each slice's state the end of its last window that fired.
  func recordFiredSlices() throws {
    try firedSlices.forEach { address, end in
      try sliceContents.modify(address.key, address.namespace) { entry in
        if entry != nil { entry!.firedThrough = max(entry!.firedThrough, end) }
      }
    }
    firedSlices.removeAll()
  }

  // MARK: Records

  @inlinable
  public func processBatch(_ batch: [T], into output: inout [Output]) throws {
    var out = Collector(buffer: output, side: sideOutputs)
    output = []
    defer {
      output = out.buffer
      backend.current.key = nil
    }
    let eventTime = assigner.domain == .eventTime
    if eventTime && timestampOf == nil && !assigner.isGlobal {
      throw MissingTimestampsError(operatorName: name)
    }
    if eventTime && defaultEventTimeTrigger && assigner.isSingleWindow && !assigner.isGlobal,
      let timestampOf
    {
      try processTumbling(batch, timestampOf: timestampOf, out: &out)
      return
    }
    if let slices, let timestampOf {
      try processSliced(batch, slices: slices, timestampOf: timestampOf, out: &out)
      return
    }
    let processingNow = eventTime ? 0 : clock.nowMillis()
    for record in batch {
      let key = keySelector(record)
      currentKey = key
      backend.current.key = key
      let timestamp =
        eventTime ? (timestampOf.map { $0(record) } ?? Int64.max) : processingNow
      if assigner.isMerging {
        try addToSession(record, timestamp: timestamp, key: key, out: &out)
        continue
      }
      var placed = false
      try assigner.forEachWindow(timestamp) { window in
        if isLate(window) { return }
        placed = true
        try addToWindow(record, timestamp: timestamp, key: key, window: window, out: &out)
      }
      if !placed, let late { out.emit(late(record)) }
    }
  }

  /// The hot path of event-time tumbling windows with the default trigger:
  /// locals instead of properties, state of upcoming records prefetched so
  /// lookups overlap their cache misses, one timer per new window.
  @inlinable
  func processTumbling(
    _ batch: [T], timestampOf: @Sendable (T) -> Int64, out: inout Collector<Output>
  ) throws {
    let contents = self.contents!
    let timers = self.timers!
    let add = self.add
    let keySelector = self.keySelector
    let assigner = self.assigner
    let lateness = allowedLateness
    let watermark = timers.currentWatermark
    let lookahead = 8
    // Heap state: reach the map directly, without the backend switch per record.
    // (`map` is bound once, outside the loop: an optional bound per record
    // cost a retain and a release per record.)
    var heapMap: OpenHashMap<StateKey<Key, TimeWindow>, Acc>?
    if case .heap(let table) = contents.storage { heapMap = table.entries }
    let isHeap = heapMap != nil
    let map = heapMap ?? OpenHashMap()
    heapMap = nil
    // The window of the previous record (and of the previous one looked
    // ahead at): consecutive records nearly always share it, and assigning a
    // window takes a division (an eighth of this loop's samples in W2).
    var recordWindow = TimeWindow(start: .max, end: .min)
    var aheadWindow = recordWindow
    @inline(__always)
    func window(at timestamp: Int64, _ last: inout TimeWindow) -> TimeWindow {
      if timestamp >= last.start && timestamp < last.end { return last }
      last = assigner.singleWindow(timestamp) ?? .global
      return last
    }
    for index in batch.indices {
      if index + lookahead < batch.count {
        let ahead = batch[index + lookahead]
        let address = StateKey(keySelector(ahead), window(at: timestampOf(ahead), &aheadWindow))
        if isHeap {
          map.prefetch(address)
        } else {
          contents.prefetch(address.key, address.namespace)
        }
      }
      let record = batch[index]
      let key = keySelector(record)
      let window = window(at: timestampOf(record), &recordWindow)
      if window.maxTimestamp &+ lateness <= watermark {
        if let late { out.emit(late(record)) }
        continue
      }
      let isNew: Bool
      if isHeap {
        isNew = map.modify(StateKey(key, window)) { acc -> Bool in
          let fresh = acc == nil
          add(record, &acc)
          return fresh
        }
      } else {
        isNew = try contents.modify(key, window) { acc -> Bool in
          let fresh = acc == nil
          add(record, &acc)
          return fresh
        }
      }
      if window.maxTimestamp <= watermark {
        // Late but within the allowed lateness: fire again with the update.
        currentKey = key
        backend.current.key = key
        try apply(.fire, key: key, window: window, out: &out)
      } else if isNew {
        try registerWindowEnd(key: key, window: window)
      }
      if isNew { try registerCleanup(key: key, window: window) }
    }
  }

  @inlinable
  func isLate(_ window: TimeWindow) -> Bool {
    assigner.domain == .eventTime && !assigner.isGlobal
      && window.maxTimestamp &+ allowedLateness <= timers.currentWatermark
  }

  /// When the window's state is removed.
  @inlinable
  func cleanupTime(_ window: TimeWindow) -> Int64 {
    if assigner.isGlobal { return .max }
    if assigner.domain == .processingTime { return window.maxTimestamp }
    let time = window.maxTimestamp &+ allowedLateness
    return time < window.maxTimestamp ? .max : time
  }

  @inlinable
  func addToWindow(
    _ record: T, timestamp: Int64, key: Key, window: TimeWindow, out: inout Collector<Output>
  ) throws {
    let isNew = try contents.modify(key, window) { acc -> Bool in
      let fresh = acc == nil
      add(record, &acc)
      return fresh
    }
    currentWindow = window
    let result: TriggerResult
    if defaultEventTimeTrigger {
      // EventTimeTrigger, without re-registering the same timer per record.
      if window.maxTimestamp <= timers.currentWatermark {
        result = .fire
      } else {
        if isNew { try registerWindowEnd(key: key, window: window) }
        result = .continue
      }
    } else {
      syncTriggerTime()
      result = try trigger.onElement(timestamp: timestamp, window: window, context: triggerContext)
    }
    if isNew { try registerCleanup(key: key, window: window) }
    try apply(result, key: key, window: window, out: &out)
  }

  @inlinable
  func registerCleanup(key: Key, window: TimeWindow) throws {
    let time = cleanupTime(window)
    guard time != .max else { return }
    // With no lateness the trigger timer doubles as the cleanup timer.
    if assigner.domain == .eventTime && time == window.maxTimestamp && defaultEventTimeTrigger {
      return
    }
    try timers.register(assigner.domain, at: time, key: key, namespace: window)
  }

  // MARK: Sessions

  @inlinable
  func addToSession(_ record: T, timestamp: Int64, key: Key, out: inout Collector<Output>) throws {
    var ownWindow = TimeWindow.global
    assigner.forEachWindow(timestamp) { ownWindow = $0 }
    let existing = try sessions.get(key, VoidNamespace()) ?? []
    var merged = ownWindow
    var absorbed: [TimeWindow] = []
    var kept: [TimeWindow] = []
    for window in existing {
      if window.intersects(ownWindow) {
        merged = merged.cover(window)
        absorbed.append(window)
      } else {
        kept.append(window)
      }
    }
    if isLate(merged) {
      if let late { out.emit(late(record)) }
      return
    }
    // Move the absorbed sessions' state into the merged window.
    var accumulator: Acc?
    for window in absorbed {
      if let acc = try contents.get(key, window) {
        accumulator = accumulator.map { merge($0, acc) } ?? acc
        try contents.remove(key, window)
      }
      currentWindow = window
      try clearTriggerAndTimers(key: key, window: window)
    }
    add(record, &accumulator)
    try contents.put(key, merged, accumulator!)
    kept.append(merged)
    try sessions.put(key, VoidNamespace(), kept)
    currentWindow = merged
    syncTriggerTime()
    if !absorbed.isEmpty { try trigger.onMerge(window: merged, context: triggerContext) }
    let result = try trigger.onElement(
      timestamp: timestamp, window: merged, context: triggerContext)
    try registerCleanupAlways(key: key, window: merged)
    try apply(result, key: key, window: merged, out: &out)
  }

  @inlinable
  func registerCleanupAlways(key: Key, window: TimeWindow) throws {
    let time = cleanupTime(window)
    if time != .max { try timers.register(assigner.domain, at: time, key: key, namespace: window) }
  }

  // MARK: Firing

  @inlinable
  func apply(_ result: TriggerResult, key: Key, window: TimeWindow, out: inout Collector<Output>)
    throws
  {
    switch result {
    case .continue:
      return
    case .fire:
      if let acc = try contents.get(key, window) { try emit(key, window, acc, &out) }
    case .purge:
      try contents.remove(key, window)
    case .fireAndPurge:
      if let acc = try contents.get(key, window) { try emit(key, window, acc, &out) }
      try contents.remove(key, window)
    }
  }

  public func processWatermark(_ watermark: Int64, into output: inout [Output]) throws -> Int64? {
    var out = Collector(buffer: output, side: sideOutputs)
    output = []
    defer {
      output = out.buffer
      backend.current.key = nil
    }
    try timers.advanceWatermark(to: watermark) { time, key, window in
      try onTimer(.eventTime, time: time, key: key, window: window, out: &out)
    }
    if timersFromContents { try fireWindowEnds(upTo: watermark, out: &out) }
    return watermark
  }

  public func onTick(into output: inout [Output]) throws {
    guard let next = timers.nextProcessingTime else { return }
    let now = clock.nowMillis()
    guard next <= now else { return }
    var out = Collector(buffer: output, side: sideOutputs)
    output = []
    defer {
      output = out.buffer
      backend.current.key = nil
    }
    try timers.advanceProcessingTime(to: now) { time, key, window in
      try onTimer(.processingTime, time: time, key: key, window: window, out: &out)
    }
  }

  public func endOfInput(into output: inout [Output]) throws {
    // The final watermark: every event-time window fires and is cleaned up.
    _ = try processWatermark(.max, into: &output)
  }

  @usableFromInline
  func onTimer(
    _ domain: TimeDomain, time: Int64, key: Key, window: TimeWindow, out: inout Collector<Output>
  ) throws {
    currentKey = key
    currentWindow = window
    backend.current.key = key
    if assigner.isMerging {
      // A timer of a session that was merged away is stale.
      let live = try sessions.get(key, VoidNamespace()) ?? []
      guard live.contains(window) else { return }
    }
    let result: TriggerResult
    if defaultEventTimeTrigger && domain == .eventTime {
      result = time == window.maxTimestamp ? .fire : .continue
    } else {
      syncTriggerTime()
      result =
        domain == .eventTime
        ? try trigger.onEventTime(time, window: window, context: triggerContext)
        : try trigger.onProcessingTime(time, window: window, context: triggerContext)
    }
    try apply(result, key: key, window: window, out: &out)
    if time == cleanupTime(window) && domain == assigner.domain {
      try contents.remove(key, window)
      try clearTriggerAndTimers(key: key, window: window)
      if assigner.isMerging {
        var live = try sessions.get(key, VoidNamespace()) ?? []
        live.removeAll { $0 == window }
        if live.isEmpty {
          try sessions.remove(key, VoidNamespace())
        } else {
          try sessions.put(key, VoidNamespace(), live)
        }
      }
    }
  }

  @usableFromInline
  func clearTriggerAndTimers(key: Key, window: TimeWindow) throws {
    syncTriggerTime()
    try trigger.clear(window: window, context: triggerContext)
    try triggerValues.remove(key, window)
    let cleanup = cleanupTime(window)
    if cleanup != .max {
      try timers.delete(assigner.domain, at: cleanup, key: key, namespace: window)
    }
  }

  @inlinable
  func syncTriggerTime() {
    triggerContext.watermark = timers.currentWatermark
    triggerContext.processingTime = clock.nowMillis()
  }
}
