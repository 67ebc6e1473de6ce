extension StreamEnvironment {
  /// A deterministic source: record `i` is `make(i)`.
  ///
  /// Indices `startingAt..<count` (or unbounded when `count` is `nil`) are split
  /// across the source's subtasks by index modulo parallelism, so subtask `s`
  /// emits `s, s+p, s+2p, …` in increasing order (a scaled-out job's
  /// instances take turns: subtask `s` of instance `i` is subtask
  /// `i·p + s` of `p` times as many). `ratePerSecond` limits the
  /// total rate across subtasks. Restarting from a position `n` emits exactly
  /// the records with index ≥ `n`. With checkpointing, each subtask's next
  /// index is its checkpointed position, and a restored job continues there.
  @inlinable
  public func generate<T: Sendable>(
    count: Int?, startingAt start: Int = 0, ratePerSecond: Double? = nil,
    name: String = "Generator", _ make: @escaping @Sendable (Int) -> T
  ) -> DataStream<T> {
    let end = count ?? Int.max
    let factory: SourceFactory<T> = { context in
      // Instances of a scaled-out job deal the indices among all their subtasks.
      let step = context.parallelism * context.instances
      let s = context.instance * context.parallelism + context.subtaskIndex
      var next = start + ((s - start % step) % step + step) % step
      // Resuming from a checkpoint: continue at the recorded index.
      if let restored = context.restoredState.first {
        next = Int(try Int64.decode(restored))
      }
      return SourceReader(
        position: { Int64(next).encodedBytes() },
        read: { buffer, limit in
          let available = next < end ? (end - 1 - next) / step + 1 : 0
          let count = min(limit, available)
          let first = next
          buffer.append(contentsOf: (0..<count).lazy.map { make(first &+ $0 &* step) })
          next = first + count * step
          return next >= end ? .finished : .more
        })
    }
    let node = addNode(
      name: name, inputs: [], role: NodeRole<Never, T>.source(factory, ratePerSecond: ratePerSecond)
    )
    return DataStream(environment: self, node: node)
  }
}
