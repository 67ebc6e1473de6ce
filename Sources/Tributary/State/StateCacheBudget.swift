/// The memory budget of the write-back caches of one keyed subtask, shared by
/// all its RocksDB state tables. Not thread-safe: used by one task.
public final class StateCacheBudget {
  /// Maximum estimated bytes of cached entries; 0 disables caching.
  public let limitBytes: Int
  /// Estimated bytes currently cached.
  public var usedBytes = 0

  /// Creates a budget of `limitBytes`.
  public init(limitBytes: Int) { self.limitBytes = max(0, limitBytes) }

  /// Whether caching is on.
  @inlinable public var isEnabled: Bool { limitBytes > 0 }
  /// Whether the caches hold more than the budget.
  @inlinable public var isExceeded: Bool { usedBytes > limitBytes }
}
