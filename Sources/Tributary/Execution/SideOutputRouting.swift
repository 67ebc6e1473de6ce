/// A side channel whose records go to routers (one per consumer of the tag).
final class RoutedSideChannel<T: Sendable>: SideChannel<T> {
  var downstreams: [Downstream<T>]

  init(_ downstream: Downstream<T>) { downstreams = [downstream] }

  override func drain() async throws {
    guard !records.isEmpty else { return }
    var batch = records
    records = []
    // Every consumer but the last gets a copy; the last may take the records.
    for downstream in downstreams.dropLast() {
      var copy = batch
      try await downstream.push(&copy)
    }
    try await downstreams.last?.push(&batch)
  }

  override func close() { for downstream in downstreams { downstream.close() } }
}

extension SideOutputs {
  /// Adds `downstream` as a consumer of side output `id`.
  func register<T: Sendable>(_ id: String, downstream: Downstream<T>) {
    if let existing = channel(for: id) as? RoutedSideChannel<T> {
      existing.downstreams.append(downstream)
    } else {
      attach(RoutedSideChannel<T>(downstream), for: id)
    }
  }

  /// Drains, then hands every consumer of every side output to `call` (the
  /// chain link forwards its control elements this way).
  func forward(_ call: (DownstreamBase & SideForwarding) async throws -> Void) async throws {
    try await drain()
    for case let channel as any RoutedChannel in ordered { try await channel.forEach(call) }
  }
}

/// The consumers of a routed side channel, seen without its record type.
protocol RoutedChannel {
  func forEach(_ call: (DownstreamBase & SideForwarding) async throws -> Void) async throws
}

extension RoutedSideChannel: RoutedChannel {
  func forEach(_ call: (DownstreamBase & SideForwarding) async throws -> Void) async throws {
    for downstream in downstreams { try await call(downstream) }
  }
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
