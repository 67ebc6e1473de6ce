/// What a source subtask reports after filling a batch.
public enum SourceStatus: Sendable {
  /// More records may follow.
  case more
  /// The source is exhausted (bounded input): end-of-input follows.
  case finished
}

/// One source subtask's reader, seen through closures (specialised where it is
/// built, see ``OperatorKernel``). Used by one task only.
public struct SourceReader<Output: Sendable> {
  @usableFromInline let read: (inout [Output], Int) throws -> SourceStatus
  @usableFromInline let close: () -> Void
  /// The reader's position (what to resume from), for checkpoints; `nil` when
  /// the source cannot be replayed.
  @usableFromInline let position: (() -> [UInt8])?
  /// Watermarks and idleness the source generates itself (per-split
  /// watermarks, as a Kafka or JetStream source has): drained by the engine
  /// after every `read`, idleness first; `nil` for sources without event time
  /// of their own.
  @usableFromInline let signals: ControlSignals?

  /// Creates a reader.
  /// - Parameters:
  ///   - read: appends at most `limit` records (the second argument) to the
  ///     buffer, in source order, and says whether more may follow.
  ///   - close: releases resources; called once, also after failure.
  ///   - position: the position to checkpoint (see ``position``).
  ///   - signals: watermarks and idleness the source emits (see ``signals``).
  ///     `read` is called at least once per tick interval, also while no
  ///     records arrive, so it can decide idleness there.
  @inlinable
  public init(
    close: @escaping () -> Void = {}, position: (() -> [UInt8])? = nil,
    signals: ControlSignals? = nil,
    read: @escaping (inout [Output], Int) throws -> SourceStatus
  ) {
    self.read = read
    self.close = close
    self.position = position
    self.signals = signals
  }
}

/// Creates one reader per source subtask.
public typealias SourceFactory<Output: Sendable> =
  @Sendable (OperatorContext) throws ->
  SourceReader<Output>
