/// Receives the outputs of a user function that may emit any number of
/// records per input. Outputs keep the order in which they were emitted.
public struct Collector<Output: Sendable> {
  @usableFromInline var buffer: [Output]

  @inlinable
  init(buffer: [Output]) { self.buffer = buffer }

  /// Emits one record.
  @inlinable
  public mutating func emit(_ value: Output) { buffer.append(value) }
}
