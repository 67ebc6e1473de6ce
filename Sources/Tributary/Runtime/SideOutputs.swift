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
/// since the last drain and where they go (routers to the consumers of
/// `sideOutput(tag)`).
///
/// Used by the one task that runs the operator (not thread-safe, hence
/// `@unchecked Sendable` only to travel in ``OperatorContext``). The chain
/// link drains it after every call into the operator, before it forwards
/// any control element, so side records precede the watermarks, barriers
/// and end of input that follow them, like main-output records.
public final class SideOutputs: @unchecked Sendable {
  @usableFromInline var channels: [String: AnySideChannel] = [:]
  private var ordered: [AnySideChannel] = []
  /// Whether records were emitted since the last drain.
  @usableFromInline var pending = false

  init() {}

  /// Appends `value` to the side output `tag` (dropped when nothing consumes it).
  @inlinable
  func append<T>(_ value: T, to tag: OutputTag<T>) {
    guard let channel = channels[tag.id] as? SideChannel<T> else { return }
    channel.records.append(value)
    pending = true
  }

  /// Adds `downstream` as a consumer of side output `id`.
  func register<T: Sendable>(_ id: String, downstream: Downstream<T>) {
    if let existing = channels[id] as? SideChannel<T> {
      existing.downstreams.append(downstream)
      return
    }
    let channel = SideChannel<T>(downstream)
    channels[id] = channel
    ordered.append(channel)
  }

  /// Sends the records emitted since the last drain to their consumers.
  func drain() async throws {
    guard pending else { return }
    pending = false
    for channel in ordered { try await channel.drain() }
  }

  /// Forwards a control call to every side output, after draining it.
  func forward(_ call: (DownstreamBase & SideForwarding) async throws -> Void) async throws {
    try await drain()
    for channel in ordered { try await channel.forEach(call) }
  }

  /// Closes every consumer router.
  func close() { for channel in ordered { channel.close() } }
}

/// A side channel seen without its record type.
@usableFromInline
class AnySideChannel {
  func drain() async throws {}
  func forEach(_ call: (DownstreamBase & SideForwarding) async throws -> Void) async throws {}
  func close() {}
}

/// The control calls a chain link forwards to side outputs.
protocol SideForwarding {
  func flush() async throws
  func finish() async throws
  func pushWatermark(_ watermark: Int64) async throws
  func pushIdleness(_ idle: Bool) async throws
  func tick() async throws
  func pushBarrier(_ barrier: CheckpointBarrier, into snapshot: TaskSnapshotBuilder) async throws
}

extension Downstream: SideForwarding {}

/// One side output's buffer and consumers.
@usableFromInline
final class SideChannel<T: Sendable>: AnySideChannel {
  @usableFromInline var records: [T] = []
  var downstreams: [Downstream<T>]

  init(_ downstream: Downstream<T>) { downstreams = [downstream] }

  override func drain() async throws {
    guard !records.isEmpty else { return }
    let batch = records
    records = []
    for downstream in downstreams { try await downstream.push(batch) }
  }

  override func forEach(_ call: (DownstreamBase & SideForwarding) async throws -> Void)
    async throws
  {
    for downstream in downstreams { try await call(downstream) }
  }

  override func close() { for downstream in downstreams { downstream.close() } }
}
