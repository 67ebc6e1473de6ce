/// Receives the outputs of a user function that may emit any number of
/// records per input. Outputs keep the order in which they were emitted.
public struct Collector<Output: Sendable> {
  @usableFromInline var buffer: [Output]
  /// The operator's side outputs, when it has any.
  @usableFromInline let side: SideOutputs?

  @inlinable
  init(buffer: [Output], side: SideOutputs? = nil) {
    self.buffer = buffer
    self.side = side
  }

  /// Emits one record.
  @inlinable
  public mutating func emit(_ value: Output) { buffer.append(value) }

  /// Emits one record to the side output `tag`, read after the operator with
  /// `sideOutput(tag)`. Side records keep their order per tag; a record for a
  /// tag nothing consumes is dropped.
  @inlinable
  public mutating func emit<S: Sendable>(_ value: S, to tag: OutputTag<S>) {
    side?.append(value, to: tag)
  }
}
