/// A record of a two-input operator: from its first or its second input.
@frozen
public enum TwoInputRecord<A: Sendable, B: Sendable>: Sendable {
  /// A record of the first input (the stream `connect` was called on).
  case first(A)
  /// A record of the second input (the argument of `connect`).
  case second(B)
}
