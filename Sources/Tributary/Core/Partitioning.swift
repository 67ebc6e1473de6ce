/// How records travel along an edge from one operator's subtasks to the next one's.
public enum PartitionKind: Sendable, CustomStringConvertible {
  /// Subtask i sends to subtask i (equal parallelism required); chainable.
  case forward
  /// Batches go round-robin to every downstream subtask.
  case rebalance
  /// Every record goes to every downstream subtask.
  case broadcast
  /// Each record goes to the subtask that owns its key's key group.
  case hash

  public var description: String {
    switch self {
    case .forward: "FORWARD"
    case .rebalance: "REBALANCE"
    case .broadcast: "BROADCAST"
    case .hash: "HASH"
    }
  }
}

extension PartitionKind {
  /// How many of an edge's `targets` receive each batch pushed along it as
  /// the same array: one for forward and rebalance, every target for
  /// broadcast, none for hash (it splits a batch into batches of its own).
  func wholeBatchDeliveries(targets: Int) -> Int {
    switch self {
    case .forward, .rebalance: 1
    case .broadcast: targets
    case .hash: 0
    }
  }
}

/// Splits a batch by key group among `parallelism` downstream subtasks.
///
/// Built in `@inlinable` code (``KeyedStream``), so the per-record key
/// extraction, encoding and hashing are specialised for the record and key
/// types. Records keep their relative order within each target. The
/// splitting function moves the records out of the batch (`takeEach`), so a
/// record holding references reaches its target without a retain and a
/// release; the caller passes a copy when it still needs the batch.
public struct HashPartitioner<T: Sendable>: Sendable {
  /// Makes the splitting function for a downstream parallelism and
  /// key-group count. (A job run as several instances has no hash edge left
  /// inside a process: each becomes an exchange, whose source reads only the
  /// key groups its consumer subtask owns.)
  public let make:
    @Sendable (_ parallelism: Int, _ maxParallelism: Int) -> (inout [T], inout [[T]]) -> Void

  /// Creates a partitioner from a maker (see ``make``).
  @inlinable
  public init(
    make: @escaping @Sendable (Int, Int) -> (inout [T], inout [[T]]) -> Void
  ) {
    self.make = make
  }

  /// The partitioner for records whose key is `key(record)`.
  @inlinable
  public static func byKey<K: BinaryCodable>(_ key: @escaping @Sendable (T) -> K) -> Self {
    HashPartitioner { parallelism, maxParallelism in
      var scratch = BinaryWriter(capacity: 32)
      if parallelism == 1 {
        // One downstream subtask owns every key group: no key to compute.
        return { batch, targets in batch.moveAll(onto: &targets[0]) }
      }
      // The owner of each key group, looked up instead of divided per record.
      let owners = (0..<maxParallelism).map {
        KeyGroups.subtask(forKeyGroup: $0, parallelism: parallelism, maxParallelism: maxParallelism)
      }
      var destinations: [Int32] = []
      return { batch, targets in
        // Two passes: the hashes of many records (each a chain of dependent
        // multiplications) overlap in the CPU when nothing else is in the loop,
        // and the appends then run on their own.
        if destinations.count < batch.count {
          destinations = [Int32](repeating: 0, count: batch.count)
        }
        owners.withUnsafeBufferPointer { owners in
          destinations.withUnsafeMutableBufferPointer { destinations in
            for index in batch.indices {
              let group = KeyGroups.keyGroup(
                of: key(batch[index]), maxParallelism: maxParallelism, scratch: &scratch)
              destinations[index] = Int32(truncatingIfNeeded: owners[group])
            }
          }
        }
        var index = 0
        batch.takeEach { record in
          targets[Int(destinations[index])].append(record)
          index += 1
        }
      }
    }
  }
}
