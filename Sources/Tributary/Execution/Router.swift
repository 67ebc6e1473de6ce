/// One outgoing edge of a task: where its records go and how they are split.
struct RouterEdge<T: Sendable> {
  /// Ports into the downstream mailboxes, indexed by downstream subtask.
  var targets: [InputPort<T>]
  /// This subtask's channel index in each target mailbox.
  var channels: [Int]
  var kind: PartitionKind
  /// Present for `.hash` edges: moves the records of a batch into the
  /// targets' batches (``HashPartitioner``).
  var split: ((inout [T], inout [[T]]) -> Void)?
}

/// The output of a task to other tasks: buffers records per target and sends
/// them in batches.
///
/// Guarantees: per target, records are sent in the order they were pushed; a
/// batch is sent when it reaches `batchSize`, when the oldest buffered record
/// has waited `flushTimeout`, when the task goes idle (``flush()``), and at
/// end of input, which then sends end-of-input on every channel. `push`
/// suspends while a target's channel is full (backpressure).
final class Router<T: Sendable>: Downstream<T>, BackpressureReporting {
  /// Where the time spent waiting on full channels goes, when the job is monitored.
  var backpressureMeter: TaskMeter?
  private var edges: [RouterEdge<T>]
  private var pending: [[[T]]]
  private var roundRobin: [Int]
  private let batchSize: Int
  private let flushTimeout: Duration
  private var oldestPending: Duration?
  private let clock: any RuntimeClock
  /// How many targets receive each pushed batch as it is (one per forward
  /// or rebalance edge, one per target of a broadcast edge); hash edges
  /// split it into batches of their own.
  private let directDeliveries: Int
  /// The index of the last hash edge, if any.
  private let lastHashEdge: Int?

  init(
    edges: [RouterEdge<T>], batchSize: Int, flushTimeout: Duration, subtask: Int,
    clock: any RuntimeClock
  ) {
    self.clock = clock
    self.edges = edges
    self.pending = edges.map { Array(repeating: [], count: $0.targets.count) }
    self.roundRobin = edges.map { $0.targets.isEmpty ? 0 : subtask % $0.targets.count }
    self.batchSize = batchSize
    self.flushTimeout = flushTimeout
    self.directDeliveries = edges.reduce(0) {
      $0 + $1.kind.wholeBatchDeliveries(targets: $1.targets.count)
    }
    self.lastHashEdge = edges.lastIndex { $0.kind == .hash }
  }

  override func push(_ batch: inout [T]) async throws {
    // Hash edges come first and move the records into their targets'
    // batches; the last one takes them from the batch itself when no edge
    // delivers it as it is, the others take them from a copy (made only if
    // the records hold references). Then the last target that gets the batch
    // as it is can be handed the array itself.
    for e in edges.indices where edges[e].kind == .hash {
      if directDeliveries == 0 && e == lastHashEdge {
        edges[e].split!(&batch, &pending[e])
      } else {
        var copy = batch
        edges[e].split!(&copy, &pending[e])
      }
      for target in pending[e].indices where pending[e][target].count >= batchSize {
        try await send(edge: e, target: target)
      }
    }
    var deliveriesLeft = directDeliveries
    for e in edges.indices {
      switch edges[e].kind {
      case .forward:
        deliveriesLeft -= 1
        try await append(&batch, edge: e, target: 0, last: deliveriesLeft == 0)
      case .rebalance:
        let target = roundRobin[e]
        roundRobin[e] = (target + 1) % edges[e].targets.count
        deliveriesLeft -= 1
        try await append(&batch, edge: e, target: target, last: deliveriesLeft == 0)
      case .broadcast:
        for target in edges[e].targets.indices {
          deliveriesLeft -= 1
          try await append(&batch, edge: e, target: target, last: deliveriesLeft == 0)
        }
      case .hash:
        continue
      }
    }
    if oldestPending == nil && pending.contains(where: { $0.contains { !$0.isEmpty } }) {
      oldestPending = clock.now()
    }
    if let oldest = oldestPending, clock.now() - oldest >= flushTimeout {
      try await flush()
    }
  }

  override func flush() async throws {
    for e in edges.indices {
      for target in pending[e].indices where !pending[e][target].isEmpty {
        try await send(edge: e, target: target)
      }
    }
    oldestPending = nil
  }

  override func pushWatermark(_ watermark: Int64) async throws {
    try await flush()
    try await broadcast(.watermark(watermark))
  }

  override func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder)
    async throws
  {
    try await flush()
    try await broadcast(.barrier(barrier))
  }

  override func pushIdleness(_ idle: Bool) async throws {
    try await flush()
    try await broadcast(.idleness(idle))
  }

  override func tick() async throws {
    if let oldest = oldestPending, clock.now() - oldest >= flushTimeout {
      try await flush()
    }
  }

  private func broadcast(_ element: StreamElement<T>) async throws {
    for edge in edges {
      for (target, port) in edge.targets.enumerated() {
        try await deliver(element, to: port, on: edge.channels[target])
      }
    }
  }

  override func finish() async throws {
    try await flush()
    for edge in edges {
      for (target, port) in edge.targets.enumerated() {
        try await deliver(.endOfInput, to: port, on: edge.channels[target])
      }
    }
  }

  /// Sends `batch` to one target: as it is when it is at least half a batch
  /// and nothing waits for that target, else buffered. The `last` target to
  /// receive it as it is gets the array itself, not a second reference to
  /// it, so that the receiver can take its records without copying them
  /// (the caller keeps an empty array with the same capacity); the others
  /// get the same array, shared (see ``PhysicalPlan/sharedChannels(of:)``).
  private func append(_ batch: inout [T], edge e: Int, target: Int, last: Bool) async throws {
    if pending[e][target].isEmpty && batch.count * 2 >= batchSize {
      var records: [T] = []
      if last {
        swap(&records, &batch)
        batch.reserveCapacity(records.capacity)
      } else {
        records = batch
      }
      try await deliver(
        .records(records), to: edges[e].targets[target], on: edges[e].channels[target])
      return
    }
    pending[e][target].append(contentsOf: batch)
    if pending[e][target].count >= batchSize { try await send(edge: e, target: target) }
  }

  private func send(edge e: Int, target: Int) async throws {
    let batch = pending[e][target]
    pending[e][target] = []
    pending[e][target].reserveCapacity(batchSize)
    try await deliver(.records(batch), to: edges[e].targets[target], on: edges[e].channels[target])
  }

  /// Sends `element`, booking any wait for room as backpressure.
  @inline(__always)
  private func deliver(_ element: StreamElement<T>, to port: InputPort<T>, on channel: Int)
    async throws
  {
    let waited = try await port.send(element, on: channel)
    backpressureMeter?.waitedForOutput(waited)
  }
}
