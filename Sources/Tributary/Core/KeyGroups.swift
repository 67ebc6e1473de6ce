/// The mapping from keys to key groups and from key groups to subtasks.
///
/// A key's group is `StableHash(encoded key) % maxParallelism`; it depends only
/// on the key's ``BinaryCodable`` encoding, so it is the same in every process,
/// run and machine. Subtask `i` of `p` owns the contiguous range of groups
/// ``range(subtask:parallelism:maxParallelism:)`` — the unit of state
/// redistribution when a job is restored with another parallelism.
public enum KeyGroups {
  /// The default number of key groups (and the upper bound on a keyed operator's parallelism).
  public static let defaultMaxParallelism = 128

  /// The key group of a key whose encoding hashes to `hash`.
  @inlinable
  public static func keyGroup(hash: UInt64, maxParallelism: Int) -> Int {
    // A power of two (the default 128) takes a mask: the same result as the
    // remainder without a 64-bit division (tens of cycles, per record).
    let groups = UInt64(maxParallelism)
    if groups & (groups &- 1) == 0 { return Int(truncatingIfNeeded: hash & (groups &- 1)) }
    return Int(truncatingIfNeeded: hash % groups)
  }

  /// The key group of `key`, encoding it into `scratch` (reused, so no allocation).
  @inlinable
  public static func keyGroup<K: BinaryCodable>(
    of key: K, maxParallelism: Int, scratch: inout BinaryWriter
  ) -> Int {
    // Fast path, identical result: Int64 and Int encode as 8 big-endian bytes
    // of the value with its sign bit flipped.
    if K.self == Int64.self || (K.self == Int.self && MemoryLayout<Int>.size == 8) {
      let flipped = unsafeBitCast(key, to: UInt64.self) ^ (1 << 63)
      return keyGroup(
        hash: StableHash.hash(bigEndianBytesOf: flipped), maxParallelism: maxParallelism)
    }
    scratch.reset()
    key.encode(to: &scratch)
    return keyGroup(hash: StableHash.hash(scratch.bytes), maxParallelism: maxParallelism)
  }

  /// The subtask (of `parallelism`) that owns `keyGroup`.
  @inlinable
  public static func subtask(forKeyGroup keyGroup: Int, parallelism: Int, maxParallelism: Int)
    -> Int
  {
    keyGroup * parallelism / maxParallelism
  }

  /// The contiguous key groups owned by `subtask` of `parallelism`; consistent
  /// with ``subtask(forKeyGroup:parallelism:maxParallelism:)``.
  public static func range(subtask: Int, parallelism: Int, maxParallelism: Int) -> Range<Int> {
    let start = (subtask * maxParallelism + parallelism - 1) / parallelism
    let end = ((subtask + 1) * maxParallelism + parallelism - 1) / parallelism
    return start..<end
  }

  /// The instance (of `instances`) of a scaled-out job that owns `keyGroup`:
  /// `keyGroup · instances / maxParallelism`, consistent with
  /// ``range(instance:instances:maxParallelism:)``.
  public static func instance(forKeyGroup keyGroup: Int, instances: Int, maxParallelism: Int)
    -> Int
  {
    keyGroup * instances / maxParallelism
  }

  /// The contiguous key groups instance `instance` of `instances` owns:
  /// `[⌈I·G/N⌉, ⌈(I+1)·G/N⌉)` for G = `maxParallelism` — the issue's
  /// `[I·G/N, (I+1)·G/N)`, rounded as subtask ranges are. The ranges of all
  /// instances partition `0..<maxParallelism`; one is empty only when
  /// `instances > maxParallelism`.
  public static func range(instance: Int, instances: Int, maxParallelism: Int) -> Range<Int> {
    range(subtask: instance, parallelism: instances, maxParallelism: maxParallelism)
  }

  /// The key groups subtask `subtask` of `parallelism` owns inside instance
  /// `instance` of `instances`: the instance's range split as a whole job's
  /// range is split among its subtasks. With one instance this is
  /// ``range(subtask:parallelism:maxParallelism:)``.
  public static func range(
    subtask: Int, parallelism: Int, instance: Int, instances: Int, maxParallelism: Int
  ) -> Range<Int> {
    let owned = range(instance: instance, instances: instances, maxParallelism: maxParallelism)
    let inside = range(subtask: subtask, parallelism: parallelism, maxParallelism: owned.count)
    return (owned.lowerBound + inside.lowerBound)..<(owned.lowerBound + inside.upperBound)
  }

  /// The subtask (of `parallelism`) of the owning instance that owns
  /// `keyGroup`; consistent with
  /// ``range(subtask:parallelism:instance:instances:maxParallelism:)``.
  public static func subtask(
    forKeyGroup keyGroup: Int, parallelism: Int, instances: Int, maxParallelism: Int
  ) -> Int {
    let instance = instance(
      forKeyGroup: keyGroup, instances: instances, maxParallelism: maxParallelism)
    let owned = range(instance: instance, instances: instances, maxParallelism: maxParallelism)
    return subtask(
      forKeyGroup: keyGroup - owned.lowerBound, parallelism: parallelism,
      maxParallelism: owned.count)
  }
}
