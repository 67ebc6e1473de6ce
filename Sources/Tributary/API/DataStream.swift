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

  @usableFromInline
  init(environment: StreamEnvironment, node: LogicalNode, partitioning: PartitionKind? = nil) {
    self.environment = environment
    self.node = node
    self.partitioning = partitioning
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

  /// Applies `f` to every record.
  @inlinable
  public func map<U: Sendable>(
    name: String = "Map", _ f: @escaping @Sendable (T) throws -> U
  ) -> DataStream<U> {
    transform(name) { _ in
      OperatorKernel { batch, out in
        out = try BatchBuilder.build(capacity: batch.count) { append in
          for record in batch { append(try f(record)) }
        }
      }
    }
  }

  /// Keeps the records for which `isIncluded` is true.
  @inlinable
  public func filter(
    name: String = "Filter", _ isIncluded: @escaping @Sendable (T) throws -> Bool
  ) -> DataStream<T> {
    transform(name) { _ in
      OperatorKernel { batch, out in
        out = try BatchBuilder.build(capacity: batch.count) { append in
          for record in batch where try isIncluded(record) { append(record) }
        }
      }
    }
  }

  /// Replaces every record by the elements of `f(record)` (zero or more), in order.
  @inlinable
  public func flatMap<S: Sequence>(
    name: String = "FlatMap", _ f: @escaping @Sendable (T) throws -> S
  ) -> DataStream<S.Element> where S.Element: Sendable {
    transform(name) { _ in
      OperatorKernel { batch, out in
        for record in batch { out.append(contentsOf: try f(record)) }
      }
    }
  }

  /// Calls `f` on every record with a collector that takes any number of outputs.
  @inlinable
  public func process<U: Sendable>(
    name: String = "Process", _ f: @escaping @Sendable (T, inout Collector<U>) throws -> Void
  ) -> DataStream<U> {
    transform(name) { _ in
      OperatorKernel { batch, out in
        var collector = Collector(buffer: out)
        out = []
        defer { out = collector.buffer }
        for record in batch { try f(record, &collector) }
      }
    }
  }

  /// Merges this stream with `others` (same type) into one stream. Records of
  /// each input keep their order; inputs interleave arbitrarily.
  public func union(_ others: DataStream<T>...) -> DataStream<T> {
    let inputs = [edge] + others.map(\.edge)
    let node = environment.addNode(
      name: "Union", inputs: inputs,
      role: NodeRole<T, T>.transform { _ in
        OperatorKernel { batch, out in out.append(contentsOf: batch) }
      })
    return DataStream(environment: environment, node: node)
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
    DataStream(environment: environment, node: node, partitioning: kind)
  }
}
