/// Median and maximum of one quantity over a window of completed checkpoints.
///
/// Guarantees: `p50` is the nearest-rank median (the value at rank
/// ⌈n/2⌉ of the sorted values, so always one of the observed values);
/// both are `nil` exactly when `count` is 0.
public struct CheckpointStatsSummary: Sendable, Hashable {
  /// How many values were summarised.
  public var count: Int
  /// The nearest-rank median.
  public var p50: Int64?
  /// The largest value.
  public var max: Int64?

  /// Summarises `values` (any order).
  public init<S: Sequence<Int64>>(_ values: S) {
    let sorted = values.sorted()
    count = sorted.count
    p50 = sorted.isEmpty ? nil : sorted[(sorted.count + 1) / 2 - 1]
    max = sorted.last
  }
}
