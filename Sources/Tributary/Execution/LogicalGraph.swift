/// An edge of the logical graph: `source`'s output feeds the node that holds the edge.
@usableFromInline
struct LogicalEdge: @unchecked Sendable {
  @usableFromInline let source: LogicalNode
  /// `nil`: forward when parallelisms are equal, rebalance otherwise (as in Flink).
  @usableFromInline let requested: PartitionKind?
  /// A `HashPartitioner<T>` of the source's output type, for `.hash`.
  @usableFromInline let hashPartitioner: Any?
  /// The id of the source's side output this edge reads (`nil`: its main output).
  @usableFromInline let sideOutput: String?
  /// For `.hash` edges of `BinaryCodable` records: how the edge becomes an
  /// exchange between instances (an `ExchangeCut`).
  @usableFromInline let exchangeCut: Any?
  /// A forward edge whose records are already partitioned by key: producer
  /// subtask i emits only the key groups consumer subtask i owns (an
  /// exchange's source), so the consumer is keyed without hashing again.
  let partitionedByKey: Bool

  @usableFromInline
  init(
    source: LogicalNode, requested: PartitionKind?, hashPartitioner: Any?,
    sideOutput: String? = nil, exchangeCut: Any? = nil, partitionedByKey: Bool = false
  ) {
    self.partitionedByKey = partitionedByKey
    self.exchangeCut = exchangeCut
    self.source = source
    self.requested = requested
    self.hashPartitioner = hashPartitioner
    self.sideOutput = sideOutput
  }
}

/// An operator of the logical graph (a source, a transformation or a sink),
/// before it is expanded into parallel subtasks.
///
/// Nodes are built and configured by the API on one thread, then frozen by
/// `execute()`; the engine only reads them, so sharing them is safe.
@usableFromInline
class LogicalNode: @unchecked Sendable {
  let id: Int
  @usableFromInline var name: String
  /// `nil`: the environment's default parallelism.
  @usableFromInline var parallelism: Int?
  var inputs: [LogicalEdge]

  init(id: Int, name: String, inputs: [LogicalEdge]) {
    self.id = id
    self.name = name
    self.inputs = inputs
  }

  var isSource: Bool { false }
  var isSink: Bool { false }
  /// Whether producers deliver into this node through ports that convert
  /// their batches into new arrays (the inputs of a two-input operator).
  var convertsInputs: Bool { false }

  // Type-erased builders, implemented by `TypedNode`: the plan wires nodes of
  // different record types, so mailboxes, ports and links cross it as their
  // untyped bases and are cast back (`as!`) by the one node that knows their
  // types. Casts happen once, when a task is built; never per record.
  func makeMailbox(channels: Int, capacity: Int) -> any AnyMailbox { fatalError("abstract") }
  /// The port (an `InputPort` of input `input`'s record type) through which
  /// producers on that input deliver into `mailbox` (this node's mailbox).
  func makePort(mailbox: any AnyMailbox, input: Int) -> AnyInputPort { fatalError("abstract") }
  /// The task's output for the chain's last node: a router to `edges`.
  func makeRouter(edges: [ErasedRouterEdge], config: JobConfiguration, subtask: Int) throws
    -> DownstreamBase
  { fatalError("abstract") }
  /// This node's link in a chain, feeding `next` (a `Downstream` of its output type).
  func makeLink(context: OperatorContext, next: DownstreamBase) throws -> DownstreamBase {
    fatalError("abstract")
  }
  /// Counts what enters this node (`next` is its link, a `Downstream` of its
  /// input type); `task` when this is the first link of its task.
  func meterInput(
    next: DownstreamBase, into: OperatorMeter?, from: OperatorMeter?, task: TaskMeter?
  ) -> DownstreamBase { fatalError("abstract") }
  /// Counts what leaves this node (`next` is a `Downstream` of its output
  /// type); `task` when this is the first link of its task.
  func meterOutput(
    next: DownstreamBase, from: OperatorMeter?, task: TaskMeter?
  ) -> DownstreamBase { fatalError("abstract") }
  /// Makes this node's input router for `edges` (ports into this node's
  /// mailboxes) and registers it as a consumer of side output `tag` in `side`.
  func attachAsSideOutput(
    tag: String, edges: [ErasedRouterEdge], config: JobConfiguration, subtask: Int,
    to side: SideOutputs
  ) { fatalError("abstract") }
  /// `sharedChannels`: the mailbox's channels whose batches other tasks may
  /// be reading too (``PhysicalPlan/sharedChannels(of:)``).
  func run(
    context: OperatorContext, head: DownstreamBase, mailbox: (any AnyMailbox)?,
    sharedChannels: [Bool], config: JobConfiguration, checkpointing: TaskCheckpointing?,
    meter: TaskMeter?
  ) async throws { fatalError("abstract") }
  /// For transactional sinks: commits transactions of completed checkpoints
  /// and moves aside output of abandoned timelines.
  var sinkTransactions: SinkTransactions? { nil }
  /// Whether the node consumes a keyed stream (hash-partitioned, or
  /// partitioned by key already).
  var isKeyed: Bool { inputs.contains { $0.requested == .hash || $0.partitionedByKey } }
  /// Whether every subtask receives the state of all former subtasks on
  /// restore and picks its share itself (split sources: positions follow
  /// their splits to whichever subtask reads them now, at any parallelism),
  /// like Flink's union list state.
  @usableFromInline var redistributesState = false
  /// The id of the node's state in checkpoints: stable for the same pipeline.
  var operatorID: String { "\(id):\(name)" }
}

/// A router edge before its types are known to the caller.
struct ErasedRouterEdge {
  let targets: [AnyInputPort]
  let channels: [Int]
  let kind: PartitionKind
  let hashPartitioner: Any?
}

/// What a node does.
@usableFromInline
enum NodeRole<In: Sendable, Out: Sendable>: @unchecked Sendable {
  case source(SourceFactory<Out>, ratePerSecond: Double?)
  case transform(KernelFactory<In, Out>)
  case sink(SinkFactory<In>, transactions: SinkTransactions?)
}

/// A logical node with its input and output record types.
@usableFromInline
final class TypedNode<In: Sendable, Out: Sendable>: LogicalNode, @unchecked Sendable {
  let role: NodeRole<In, Out>
  /// For nodes whose inputs have other record types than `In` (two-input
  /// operators): per input, makes its `InputPort` from this node's mailbox.
  let portMakers: [@Sendable (any AnyMailbox) -> AnyInputPort]?
  /// Makes this node's link in place of a `ChainLink` over its role's kernel
  /// (operators that need an asynchronous link, such as `asyncMap`); `next`
  /// is a `Downstream<Out>`, the result a `Downstream<In>`.
  var linkMaker: ((OperatorContext, DownstreamBase) throws -> DownstreamBase)?

  @usableFromInline
  init(
    id: Int, name: String, inputs: [LogicalEdge], role: NodeRole<In, Out>,
    portMakers: [@Sendable (any AnyMailbox) -> AnyInputPort]? = nil
  ) {
    self.role = role
    self.portMakers = portMakers
    super.init(id: id, name: name, inputs: inputs)
  }

  override var isSource: Bool {
    if case .source = role { return true }
    return false
  }

  override var isSink: Bool {
    if case .sink = role { return true }
    return false
  }

  override var convertsInputs: Bool { portMakers != nil }

  override func makeMailbox(channels: Int, capacity: Int) -> any AnyMailbox {
    Mailbox<In>(channels: channels, capacity: capacity)
  }

  override func makePort(mailbox: any AnyMailbox, input: Int) -> AnyInputPort {
    if let portMakers { return portMakers[input](mailbox) }
    return MailboxPort(mailbox as! Mailbox<In>)
  }

  override func attachAsSideOutput(
    tag: String, edges: [ErasedRouterEdge], config: JobConfiguration, subtask: Int,
    to side: SideOutputs
  ) {
    let typed = edges.map { edge in
      RouterEdge<In>(
        targets: edge.targets.map { $0 as! InputPort<In> }, channels: edge.channels,
        kind: edge.kind, split: nil)
    }
    side.register(
      tag,
      downstream: Router<In>(
        edges: typed, batchSize: config.batchSize, flushTimeout: config.flushTimeout,
        subtask: subtask, clock: config.runtimeClock))
  }

  override func makeRouter(edges: [ErasedRouterEdge], config: JobConfiguration, subtask: Int)
    throws -> DownstreamBase
  {
    if edges.isEmpty { return NullDownstream<Out>() }
    let typed = edges.map { edge in
      RouterEdge<Out>(
        targets: edge.targets.map { $0 as! InputPort<Out> },
        channels: edge.channels,
        kind: edge.kind,
        split: (edge.hashPartitioner as? HashPartitioner<Out>)?.make(
          edge.targets.count, config.maxParallelism))
    }
    return Router<Out>(
      edges: typed, batchSize: config.batchSize, flushTimeout: config.flushTimeout,
      subtask: subtask, clock: config.runtimeClock)
  }

  override func meterInput(
    next: DownstreamBase, into: OperatorMeter?, from: OperatorMeter?, task: TaskMeter?
  ) -> DownstreamBase {
    MeteringLink(
      next: next as! Downstream<In>, into: into, from: from,
      task: task)
  }
  override func meterOutput(
    next: DownstreamBase, from: OperatorMeter?, task: TaskMeter?
  ) -> DownstreamBase {
    MeteringLink(
      next: next as! Downstream<Out>, into: nil, from: from,
      task: task)
  }
  override func makeLink(context: OperatorContext, next: DownstreamBase) throws
    -> DownstreamBase
  {
    if let linkMaker { return try linkMaker(context, next) }
    switch role {
    case .transform(let factory):
      let kernel = try wrap(context) { try factory(context) }
      return try ChainLink(kernel: kernel, context: context, next: next as! Downstream<Out>)
    case .sink(let factory, _):
      let kernel = try wrap(context) { try factory(context) }
      return try SinkLink(kernel: kernel, context: context)
    case .source:
      return next
    }
  }

  override var sinkTransactions: SinkTransactions? {
    if case .sink(_, let transactions) = role { return transactions }
    return nil
  }

  override func run(
    context: OperatorContext, head: DownstreamBase, mailbox: (any AnyMailbox)?,
    sharedChannels: [Bool], config: JobConfiguration, checkpointing: TaskCheckpointing?,
    meter: TaskMeter?
  ) async throws {
    switch role {
    case .source(let factory, let rate):
      let reader = try wrap(context) { try factory(context) }
      defer { reader.close() }
      let driver = SourceDriver(
        reader: reader, next: head as! Downstream<Out>, context: context,
        batchSize: config.batchSize,
        ratePerSecond: rate.map { $0 / Double(context.parallelism) },
        tickInterval: config.tickInterval, checkpointing: checkpointing,
        clock: config.runtimeClock, meter: meter)
      try await driver.run()
    case .transform, .sink:
      try await InputDriver(
        mailbox: mailbox as! Mailbox<In>, head: head as! Downstream<In>,
        sharedChannels: sharedChannels, tickInterval: config.tickInterval,
        checkpointing: checkpointing,
        clock: config.runtimeClock, meter: meter
      ).run()
    }
  }

  private func wrap<R>(_ context: OperatorContext, _ body: () throws -> R) throws -> R {
    do { return try body() } catch {
      throw JobError.operatorFailed(
        operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
    }
  }
}
