/// The physical graph: the logical graph split into chains (operators fused
/// into one task), each run by `parallelism` subtasks.
///
/// Rules, as in Flink: an edge without an explicit partitioning is forward
/// when both ends have the same parallelism and rebalance otherwise; an
/// operator is chained to its input when that is its only input, the edge is
/// forward, and it is its input's only consumer.
struct PhysicalPlan: @unchecked Sendable {
  /// Operators fused into one task, in data-flow order.
  struct Chain {
    let nodes: [LogicalNode]
    let parallelism: Int
    var head: LogicalNode { nodes[0] }
    var tail: LogicalNode { nodes[nodes.count - 1] }
  }

  /// A consumer of a chain's output.
  struct Consumer {
    let chainIndex: Int
    let kind: PartitionKind
    let hashPartitioner: Any?
    /// First channel of this edge in the consumer's mailbox.
    let channelBase: Int
    /// Which input of the consumer's head the edge feeds.
    let inputIndex: Int
    /// For a side-output edge: the tag's id and the producing node (any node
    /// of the chain, not only its tail).
    let sideOutput: (tag: String, producer: Int)?
  }

  /// A hash edge between two chains: where a scaled-out job cuts the plan
  /// into stages and instances exchange records (docs/scale-out.md).
  struct Exchange {
    /// Number of the exchange, in plan order (its stream is `<job>-x<index>`).
    let index: Int
    let producerChain: Int
    let consumerChain: Int
    /// Which input of the consumer's head the edge feeds.
    let inputIndex: Int
  }

  let chains: [Chain]
  /// Input channels of each chain's head (0 for sources).
  let channelCounts: [Int]
  /// Consumers of each chain's tail.
  let consumers: [[Consumer]]
  /// The stage of each chain: 0 for chains without a hash edge upstream,
  /// else one more than the highest stage any hash edge into it comes from
  /// (any other edge keeps the producer's stage).
  let stages: [Int]
  /// Every hash edge, in plan order.
  let exchanges: [Exchange]

  init(nodes: [LogicalNode], config: JobConfiguration) throws(JobError) {
    var parallelism: [Int: Int] = [:]
    for node in nodes {
      // A side output runs at its producer's parallelism unless set.
      let inherited =
        node.inputs.count == 1 && node.inputs[0].sideOutput != nil
        ? parallelism[node.inputs[0].source.id] : nil
      let p = node.parallelism ?? inherited ?? config.parallelism
      guard p >= 1, p <= config.maxParallelism else {
        throw .invalidPipeline(
          "operator '\(node.name)' has parallelism \(p); use 1...\(config.maxParallelism) "
            + "(raise maxParallelism for more)")
      }
      parallelism[node.id] = p
    }
    // Resolve each edge's partitioning and index consumers by producer.
    var kinds: [Int: [PartitionKind]] = [:]
    var consumerNodes: [Int: [(node: LogicalNode, edge: Int)]] = [:]
    for node in nodes {
      var nodeKinds: [PartitionKind] = []
      for (e, edge) in node.inputs.enumerated() {
        let equal = parallelism[edge.source.id] == parallelism[node.id]
        let kind = edge.requested ?? (equal ? .forward : .rebalance)
        if kind == .forward && !equal {
          throw .invalidPipeline(
            "forward edge from '\(edge.source.name)' (parallelism \(parallelism[edge.source.id]!)) "
              + "to '\(node.name)' (parallelism \(parallelism[node.id]!)) needs equal "
              + "parallelism; use rebalance() instead")
        }
        nodeKinds.append(kind)
        // Side-output consumers do not count: they never chain.
        if edge.sideOutput == nil { consumerNodes[edge.source.id, default: []].append((node, e)) }
      }
      kinds[node.id] = nodeKinds
    }
    func chainedToInput(_ node: LogicalNode) -> Bool {
      guard config.chaining, node.inputs.count == 1, kinds[node.id]![0] == .forward,
        node.inputs[0].sideOutput == nil
      else {
        return false
      }
      let source = node.inputs[0].source
      return !source.isSink && consumerNodes[source.id]?.count == 1
    }
    // Build chains from their heads.
    var chains: [Chain] = []
    var chainOf: [Int: Int] = [:]
    for node in nodes where !chainedToInput(node) {
      var members = [node]
      while let next = consumerNodes[members.last!.id], next.count == 1,
        chainedToInput(next[0].node)
      {
        members.append(next[0].node)
      }
      for member in members { chainOf[member.id] = chains.count }
      chains.append(Chain(nodes: members, parallelism: parallelism[node.id]!))
    }
    // Lay out channels of each head and attach consumers to producers.
    var channelCounts = Array(repeating: 0, count: chains.count)
    var consumers = Array(repeating: [Consumer](), count: chains.count)
    for (c, chain) in chains.enumerated() {
      var base = 0
      for (e, edge) in chain.head.inputs.enumerated() {
        let kind = kinds[chain.head.id]![e]
        let producer = chainOf[edge.source.id]!
        consumers[producer].append(
          Consumer(
            chainIndex: c, kind: kind, hashPartitioner: edge.hashPartitioner, channelBase: base,
            inputIndex: e, sideOutput: edge.sideOutput.map { ($0, edge.source.id) }))
        base += kind == .forward ? 1 : parallelism[edge.source.id]!
      }
      channelCounts[c] = base
    }
    self.chains = chains
    self.channelCounts = channelCounts
    self.consumers = consumers
    // Stages and exchanges: chains are built in node order, and a node's
    // inputs precede it, so every producer's stage is known first.
    var stages = Array(repeating: 0, count: chains.count)
    var exchanges: [Exchange] = []
    for (c, chain) in chains.enumerated() {
      for (e, edge) in chain.head.inputs.enumerated() {
        let producer = chainOf[edge.source.id]!
        let isHash = kinds[chain.head.id]![e] == .hash
        stages[c] = max(stages[c], stages[producer] + (isHash ? 1 : 0))
        if isHash {
          exchanges.append(
            Exchange(
              index: exchanges.count, producerChain: producer, consumerChain: c, inputIndex: e))
        }
      }
    }
    self.stages = stages
    self.exchanges = exchanges
  }

  /// The channels of chain `c`'s mailbox on which a batch may arrive as an
  /// array that another task received too: those of edges that carry
  /// batches as they are (forward, rebalance, broadcast) from a producer
  /// whose router hands each batch to more than one target that way (a
  /// stream read twice, a broadcast to several subtasks). The router hands
  /// the array itself to the last of them, the others share it.
  func sharedChannels(of c: Int) -> [Bool] {
    var shared = [Bool](repeating: false, count: channelCounts[c])
    if chains[c].head.convertsInputs { return shared }
    for (p, edges) in consumers.enumerated() {
      // Side outputs have routers of their own.
      let direct = edges.filter { $0.sideOutput == nil }.reduce(0) {
        $0 + $1.kind.wholeBatchDeliveries(targets: chains[$1.chainIndex].parallelism)
      }
      guard direct > 1 else { continue }
      for edge in edges
      where edge.chainIndex == c && edge.sideOutput == nil && edge.kind != .hash {
        for subtask in 0..<chains[p].parallelism { shared[channel(of: subtask, on: edge)] = true }
      }
    }
    return shared
  }

  /// The channel of subtask `subtask` of a producer on `consumer`'s mailbox.
  func channel(of subtask: Int, on consumer: Consumer) -> Int {
    consumer.kind == .forward ? consumer.channelBase : consumer.channelBase + subtask
  }

  /// A human-readable description of the physical graph, one task per line.
  var description: String {
    var lines: [String] = []
    for (c, chain) in chains.enumerated() {
      let names = chain.nodes.map(\.name).joined(separator: " -> ")
      let outs = consumers[c].map { consumer in
        "\(consumer.kind) to task \(consumer.chainIndex)"
          + (consumer.sideOutput.map { " (side output '\($0.tag)')" } ?? "")
      }
      let outText = outs.isEmpty ? "" : "  ==> " + outs.joined(separator: ", ")
      lines.append("task \(c) [\(chain.parallelism)x]: \(names)\(outText)")
    }
    return lines.joined(separator: "\n")
  }

  /// Names, producers and readers of `exchange` for a job run as `instances`.
  func topology(of exchange: Exchange, instances: InstanceSettings, maxParallelism: Int)
    -> ExchangeTopology
  {
    ExchangeTopology(
      job: instances.jobName ?? "job", index: exchange.index, instances: instances.count,
      producerParallelism: chains[exchange.producerChain].parallelism,
      consumerParallelism: chains[exchange.consumerChain].parallelism,
      maxParallelism: maxParallelism)
  }

  /// ``description``, and for an instance of a scaled-out job its stages,
  /// the key groups it owns and the exchanges between stages.
  func description(instances: InstanceSettings, maxParallelism: Int) -> String {
    guard !instances.isSingle else { return description }
    let owned = KeyGroups.range(
      instance: instances.index, instances: instances.count, maxParallelism: maxParallelism)
    var lines = [description, "\(instances):"]
    for stage in 0...(stages.max() ?? 0) {
      let tasks = stages.indices.filter { stages[$0] == stage }
      let what =
        stage == 0
        ? "source splits dealt over \(instances.count) instances, then subtasks"
        : "key groups \(owned.lowerBound)..<\(owned.upperBound) of \(maxParallelism)"
      lines.append(
        "stage \(stage): task\(tasks.count == 1 ? "" : "s") "
          + tasks.map(String.init).joined(separator: ", ") + " (\(what))")
    }
    for exchange in exchanges {
      let topology = topology(of: exchange, instances: instances, maxParallelism: maxParallelism)
      lines.append(
        "exchange \(topology.stream): task \(exchange.producerChain) (stage "
          + "\(stages[exchange.producerChain])) ==> task \(exchange.consumerChain) (stage "
          + "\(stages[exchange.consumerChain])), subjects \(topology.stream).<key group> "
          + "(\(maxParallelism))")
    }
    if exchanges.isEmpty { lines.append("no exchange: every record stays in its instance") }
    return lines.joined(separator: "\n")
  }
}
