/// A typed stream of records of type `T`: the output of one operator.
///
/// Operators return new streams and never change this one, except
/// ``parallelism(_:)`` and ``name(_:)``, which configure the operator that
/// produced this stream. Records of one subtask stay in order through
/// forward (chained) edges; see ``PartitionKind`` for the other edges.
public struct DataStream<T: Sendable>: Sendable {
  @usableFromInline let environment: StreamEnvironment
  @usableFromInline let node: LogicalNode
  @usableFromInline let partitioning: PartitionKind?
  /// How to read a record's event timestamp, when the stream has them
  /// (set by ``assignTimestampsAndWatermarks(_:name:)`` or ``withTimestamps(_:)``,
  /// kept by operators that do not change the record type).
  @usableFromInline let timestampOf: (@Sendable (T) -> Int64)?

  @usableFromInline
  init(
    environment: StreamEnvironment, node: LogicalNode, partitioning: PartitionKind? = nil,
    timestampOf: (@Sendable (T) -> Int64)? = nil
  ) {
    self.environment = environment
    self.node = node
    self.partitioning = partitioning
    self.timestampOf = timestampOf
  }

  /// The environment this stream belongs to (connectors read its
  /// configuration, for example which instance of a scaled-out job this is).
  public var executionEnvironment: StreamEnvironment { environment }

  /// Gives every record an event timestamp and generates watermarks as
  /// `strategy` says (one assigner per subtask of this stream's operator,
  /// chained to it).
  @inlinable
  public func assignTimestampsAndWatermarks(
    _ strategy: WatermarkStrategy<T>, name: String = "Watermarks"
  ) -> DataStream<T> {
    let assigned: DataStream<T> = transform(name) { _ in
      OperatorKernel(WatermarkAssigner(strategy: strategy))
    }
    return assigned.withTimestamps(strategy.timestamp)
  }

  /// Declares how to read event timestamps from records whose watermarks
  /// already flow in-band from upstream (for example after a `map` that
  /// changed the record type). Generates no watermarks.
  @inlinable
  public func withTimestamps(_ timestamp: @escaping @Sendable (T) -> Int64) -> DataStream<T> {
    DataStream(
      environment: environment, node: node, partitioning: partitioning, timestampOf: timestamp)
  }

  /// The edge from this stream into a new operator.
  @usableFromInline
  var edge: LogicalEdge { LogicalEdge(source: node, requested: partitioning, hashPartitioner: nil) }

  /// Adds an operator consuming this stream.
  @inlinable
  public func transform<U: Sendable>(
    _ name: String, _ factory: @escaping KernelFactory<T, U>
  ) -> DataStream<U> {
    let next = environment.addNode(name: name, inputs: [edge], role: .transform(factory))
    return DataStream<U>(environment: environment, node: next)
  }

  /// Applies `f` to every record, in order. `f` owns the record it is given
  /// (`consuming`): it can move parts of it into its result without copying
  /// them, as the record is not used again.
  @inlinable
  public func map<U: Sendable>(
    name: String = "Map", _ f: @escaping @Sendable (consuming T) throws -> U
  ) -> DataStream<U> {
    transform(name) { _ in
      OperatorKernel.taking(
        { batch, out in
          out = try BatchBuilder.build(capacity: batch.count) { append in
            try batch.takeEach { record in append(try f(consume record)) }
          }
        },
        reading: { batch, out in
          out = try BatchBuilder.build(capacity: batch.count) { append in
            for record in batch { append(try f(record)) }
          }
        })
    }
  }

  /// Keeps the records for which `isIncluded` is true.
  @inlinable
  public func filter(
    name: String = "Filter", _ isIncluded: @escaping @Sendable (T) throws -> Bool
  ) -> DataStream<T> {
    keepingTimestamps(
      transform(name) { _ in
        OperatorKernel.taking(
          { batch, out in
            out = try BatchBuilder.build(capacity: batch.count) { append in
              try batch.takeEach { record in if try isIncluded(record) { append(consume record) } }
            }
          },
          reading: { batch, out in
            out = try BatchBuilder.build(capacity: batch.count) { append in
              for record in batch where try isIncluded(record) { append(record) }
            }
          })
      })
  }

  /// `stream` with this stream's timestamps (for operators that keep the type).
  @inlinable
  func keepingTimestamps(_ stream: DataStream<T>) -> DataStream<T> {
    guard let timestampOf else { return stream }
    return stream.withTimestamps(timestampOf)
  }

  /// Replaces every record by the elements of `f(record)` (zero or more), in order.
  /// `f` owns the record it is given, as in ``map(name:_:)``.
  @inlinable
  public func flatMap<S: Sequence>(
    name: String = "FlatMap", _ f: @escaping @Sendable (consuming T) throws -> S
  ) -> DataStream<S.Element> where S.Element: Sendable {
    transform(name) { _ in
      OperatorKernel.taking(
        { batch, out in
          try batch.takeEach { record in out.append(contentsOf: try f(consume record)) }
        },
        reading: { batch, out in for record in batch { out.append(contentsOf: try f(record)) } })
    }
  }

  /// Applies `f` to every record and keeps the non-`nil` results, in order.
  /// `f` owns the record it is given, as in ``map(name:_:)``: taking an enum's
  /// payload out of it (`$0.bid`) moves the payload instead of copying it.
  @inlinable
  public func compactMap<U: Sendable>(
    name: String = "CompactMap", _ f: @escaping @Sendable (consuming T) throws -> U?
  ) -> DataStream<U> {
    transform(name) { _ in
      OperatorKernel.taking(
        { batch, out in
          out = try BatchBuilder.build(capacity: batch.count) { append in
            try batch.takeEach { record in
              if let mapped = try f(consume record) { append(consume mapped) }
            }
          }
        },
        reading: { batch, out in
          out = try BatchBuilder.build(capacity: batch.count) { append in
            for record in batch { if let mapped = try f(record) { append(mapped) } }
          }
        })
    }
  }

  /// Calls `f` on every record with a collector that takes any number of outputs.
  /// `f` owns the record it is given, as in ``map(name:_:)``.
  @inlinable
  public func process<U: Sendable>(
    name: String = "Process",
    _ f: @escaping @Sendable (consuming T, inout Collector<U>) throws -> Void
  ) -> DataStream<U> {
    transform(name) { context in
      let side = context.sideOutputs
      return OperatorKernel.taking(
        { batch, out in
          var collector = Collector(buffer: out, side: side)
          out = []
          defer { out = collector.buffer }
          try batch.takeEach { record in try f(consume record, &collector) }
        },
        reading: { batch, out in
          var collector = Collector(buffer: out, side: side)
          out = []
          defer { out = collector.buffer }
          for record in batch { try f(record, &collector) }
        })
    }
  }

  /// Merges this stream with `others` (same type) into one stream. Records of
  /// each input keep their order; inputs interleave arbitrarily.
  public func union(_ others: DataStream<T>...) -> DataStream<T> {
    let inputs = [edge] + others.map(\.edge)
    let node = environment.addNode(
      name: "Union", inputs: inputs,
      role: NodeRole<T, T>.transform { _ in
        OperatorKernel.passingThrough()
      })
    return keepingTimestamps(DataStream(environment: environment, node: node))
  }

  /// The records the operator that produced this stream emitted to `tag`
  /// (``Collector/emit(_:to:)``), as a stream like any other: it runs at the
  /// operator's parallelism unless set, may be partitioned, and carries the
  /// operator's watermarks and checkpoint barriers. Call it once per tag and
  /// operator, after the operator's parallelism is final.
  public func sideOutput<S: Sendable>(_ tag: OutputTag<S>) -> DataStream<S> {
    let edge = LogicalEdge(
      source: node, requested: nil, hashPartitioner: nil, sideOutput: tag.id)
    let side = environment.addNode(
      name: "SideOutput(\(tag.id))", inputs: [edge],
      role: NodeRole<S, S>.transform { _ in
        OperatorKernel.passingThrough()
      })
    return DataStream<S>(environment: environment, node: side)
  }

  /// Distributes the next operator's input round-robin (by batch) over its subtasks.
  public func rebalance() -> DataStream<T> { with(.rebalance) }
  /// Sends every record to every subtask of the next operator.
  public func broadcast() -> DataStream<T> { with(.broadcast) }
  /// Sends subtask i's records to subtask i of the next operator (equal
  /// parallelism required); chained into one task where possible.
  public func forward() -> DataStream<T> { with(.forward) }

  /// Sets how many subtasks run the operator that produced this stream.
  @discardableResult
  public func parallelism(_ parallelism: Int) -> DataStream<T> {
    node.parallelism = parallelism
    return self
  }

  /// Names the operator that produced this stream (in errors, plans and logs).
  @discardableResult
  public func name(_ name: String) -> DataStream<T> {
    node.name = name
    return self
  }

  private func with(_ kind: PartitionKind) -> DataStream<T> {
    DataStream(environment: environment, node: node, partitioning: kind, timestampOf: timestampOf)
  }
}
