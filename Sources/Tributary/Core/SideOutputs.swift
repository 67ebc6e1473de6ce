/// Names a side output of an operator and fixes its record type:
/// `out.emit(value, to: tag)` inside a process function, then
/// `stream.sideOutput(tag)` after the operator. Flink's `OutputTag`.
///
/// Tags are compared by ``id``; give every side output of one operator its
/// own id (a record emitted to a tag whose id has another type, or that no
/// `sideOutput(_:)` consumes, is dropped, as in Flink).
public struct OutputTag<T: Sendable>: Sendable, Hashable {
  /// The side output's name, unique per operator.
  public let id: String
  /// Creates a tag.
  public init(_ id: String) { self.id = id }
}

/// The side outputs of one operator instance: per tag, the records emitted
/// since the last drain and where they go (the execution layer attaches the
/// channels: routers to the consumers of `sideOutput(tag)`).
///
/// Used by the one task that runs the operator (not thread-safe, hence
/// `@unchecked Sendable` only to travel in ``OperatorContext``). The chain
/// link drains it after every call into the operator, before it forwards
/// any control element, so side records precede the watermarks, barriers
/// and end of input that follow them, like main-output records.
public final class SideOutputs: @unchecked Sendable {
  @usableFromInline var channels: [String: AnySideChannel] = [:]
  /// The channels in the order they were attached.
  private(set) var ordered: [AnySideChannel] = []
  /// Whether records were emitted since the last drain.
  @usableFromInline var pending = false

  init() {}

  /// Emits `value` to the side output `tag` (for sources and operators that
  /// have no ``Collector``): it follows the records of the current call.
  /// Dropped when nothing consumes the tag. Used by the subtask's own task only.
  @inlinable
  public func emit<T>(_ value: T, to tag: OutputTag<T>) { append(value, to: tag) }

  /// Appends `value` to the side output `tag` (dropped when nothing consumes it).
  @inlinable
  func append<T>(_ value: T, to tag: OutputTag<T>) {
    guard let channel = channels[tag.id] as? SideChannel<T> else { return }
    channel.records.append(value)
    pending = true
  }

  /// The channel of side output `id`, if one is attached.
  func channel(for id: String) -> AnySideChannel? { channels[id] }

  /// Attaches `channel` as side output `id`.
  func attach(_ channel: AnySideChannel, for id: String) {
    channels[id] = channel
    ordered.append(channel)
  }

  /// Sends the records emitted since the last drain to their consumers.
  func drain() async throws {
    guard pending else { return }
    pending = false
    for channel in ordered { try await channel.drain() }
  }

  /// Closes every channel.
  func close() { for channel in ordered { channel.close() } }
}

/// A side channel seen without its record type.
@usableFromInline
class AnySideChannel {
  /// Sends the buffered records on.
  func drain() async throws {}
  /// Releases resources.
  func close() {}
}

/// One side output's buffer; subclasses send it on.
@usableFromInline
class SideChannel<T: Sendable>: AnySideChannel {
  @usableFromInline var records: [T] = []
}
