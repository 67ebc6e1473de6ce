/// How a hash edge is cut when the job runs as several instances: the
/// producer's records go into an ``ExchangeSink`` and the consumer reads
/// them back from an exchange source. Captured where the edge is made (the
/// record and key types are known there), kept type-erased in the edge.
@usableFromInline
struct ExchangeCut: Sendable {
  /// Adds the sink and the source for `edge` with `topology`; returns the
  /// source node, which replaces the edge's producer.
  let insert:
    @Sendable (
      _ environment: StreamEnvironment, _ edge: LogicalEdge, _ topology: ExchangeTopology,
      _ transport: any ExchangeTransport, _ committer: ExchangeCommitter
    ) -> LogicalNode

  /// The cut of an edge carrying `T` keyed by `key`, or `nil` when `T` is not
  /// `BinaryCodable` (such an edge cannot cross instances).
  @usableFromInline
  static func make<T: Sendable, Key: BinaryCodable>(
    _: T.Type, key: @escaping @Sendable (T) -> Key
  ) -> ExchangeCut? {
    guard let codable = T.self as? any (BinaryCodable & Sendable).Type else { return nil }
    return cut(codable, key: key)
  }

  private static func cut<C: BinaryCodable & Sendable, T: Sendable, Key: BinaryCodable>(
    _: C.Type, key: @escaping @Sendable (T) -> Key
  ) -> ExchangeCut {
    let typedKey = key as! @Sendable (C) -> Key
    return ExchangeCut { environment, edge, topology, transport, committer in
      let maxParallelism = topology.maxParallelism
      let factory: SinkFactory<C> = { _ in
        SinkKernel(
          ExchangeSink<C>(
            topology: topology, transport: transport, committer: committer,
            keyGroupOf: { record, scratch in
              KeyGroups.keyGroup(
                of: typedKey(record), maxParallelism: maxParallelism, scratch: &scratch)
            }))
      }
      let sink = environment.addNode(
        name: "Exchange \(topology.stream) out",
        inputs: [
          LogicalEdge(
            source: edge.source, requested: nil, hashPartitioner: nil,
            sideOutput: edge.sideOutput)
        ],
        role: NodeRole<C, Never>.sink(factory, transactions: committer.transactions))
      sink.parallelism = topology.producerParallelism
      return environment.exchangeSource(C.self, topology: topology, transport: transport)
    }
  }
}

extension StreamEnvironment {
  /// Cuts every hash edge of `plan` into an exchange for a job run as
  /// several instances: the graph then consists of one part per stage, joined
  /// only through the exchange's log. Returns the new plan.
  /// - Throws: ``JobError/invalidPipeline(_:)`` when a hash edge carries
  ///   records that are not `BinaryCodable`, or a broadcast edge would have to
  ///   reach every instance.
  func cutAtExchanges(_ plan: PhysicalPlan, config: JobConfiguration) throws -> PhysicalPlan {
    guard let transport = config.exchangeTransport else {
      throw InstanceSettingsError.noExchangeTransport(count: config.instances.count)
    }
    for chain in plan.chains {
      for node in chain.nodes where node.inputs.contains(where: { $0.requested == .broadcast }) {
        throw JobError.invalidPipeline(
          "'\(node.name)' reads a broadcast stream, which cannot reach every instance of a "
            + "scaled-out job yet; run it as one instance")
      }
    }
    let committer = ExchangeCommitter(transport: transport)
    for exchange in plan.exchanges {
      let consumer = plan.chains[exchange.consumerChain].head
      let edge = consumer.inputs[exchange.inputIndex]
      guard let cut = edge.exchangeCut as? ExchangeCut else {
        throw JobError.invalidPipeline(
          "the records that '\(consumer.name)' reads by key are not BinaryCodable, so they "
            + "cannot cross instances; make the record type conform to BinaryCodable")
      }
      let topology = plan.topology(
        of: exchange, instances: config.instances, maxParallelism: config.maxParallelism)
      let source = cut.insert(self, edge, topology, transport, committer)
      // Exchange source subtask i reads exactly the key groups consumer
      // subtask i owns: the edge is forward (the consumer chains to it when it
      // has no other input) and no record is hashed a second time.
      consumer.inputs[exchange.inputIndex] = LogicalEdge(
        source: source, requested: .forward, hashPartitioner: nil, partitionedByKey: true)
    }
    return try PhysicalPlan(nodes: nodes, config: config)
  }
}
