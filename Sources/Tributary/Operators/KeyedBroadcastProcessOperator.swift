/// Runs a ``KeyedBroadcastProcessFunction`` over a keyed stream connected
/// with a broadcast stream: `.first` records get their key current, `.second`
/// (broadcast) records none.
///
/// Its snapshot holds two parts: the broadcast state, and the keyed state
/// and timers (key groups, as every keyed operator's, always in the portable
/// format: RocksDB state is not snapshotted incrementally here). Restored at any
/// parallelism, each subtask takes the key groups it owns from every former
/// subtask and the broadcast state of the former subtask 0.
public final class KeyedBroadcastProcessOperator<F: KeyedBroadcastProcessFunction>: StreamOperator {
  public typealias Input = TwoInputRecord<F.Input, F.Broadcast>
  public typealias Output = F.Output

  @usableFromInline var function: F
  @usableFromInline let key: @Sendable (F.Input) -> F.Key
  @usableFromInline let timestamp1: (@Sendable (F.Input) -> Int64)?
  @usableFromInline let timestamp2: (@Sendable (F.Broadcast) -> Int64)?
  @usableFromInline let state: BroadcastState<F.MapKey, F.MapValue>
  @usableFromInline var context: KeyedContext<F.Key>?
  @usableFromInline var readOnly: ReadOnlyKeyedBroadcastContext<F.Key, F.MapKey, F.MapValue>?
  @usableFromInline var writable: KeyedBroadcastContext<F.Key, F.MapKey, F.MapValue>?

  /// Creates the operator of one subtask; `stateName` is the broadcast descriptor's name.
  @inlinable
  public init(
    function: F, stateName: String, key: @escaping @Sendable (F.Input) -> F.Key,
    timestamp1: (@Sendable (F.Input) -> Int64)?, timestamp2: (@Sendable (F.Broadcast) -> Int64)?
  ) {
    self.function = function
    self.key = key
    self.timestamp1 = timestamp1
    self.timestamp2 = timestamp2
    self.state = BroadcastState(name: stateName)
  }

  public func open(_ operatorContext: OperatorContext) throws {
    let parts = try operatorContext.restoredState.map(BroadcastSnapshotParts.init(bytes:))
    if let first = parts.first { try state.restore(from: first.broadcast) }
    let context = try KeyedContext<F.Key>.restored(
      from: operatorContext.replacingRestoredState(parts.map(\.keyed)))
    self.context = context
    readOnly = ReadOnlyKeyedBroadcastContext(keyed: context, state: state)
    writable = KeyedBroadcastContext(keyed: context, state: state)
    try function.open(context)
    try context.reloadTimers()
  }

  public func prepareSnapshot(_ request: SnapshotRequest) throws -> (
    @Sendable () throws -> OperatorSnapshot
  )? {
    guard let context else { return nil }
    let broadcast = state.snapshotBytes()
    // Always the portable keyed format: a native RocksDB snapshot's files
    // would have to be described by its manifest alone.
    let keyed = try context.stateBackend.prepareSnapshot()
    return {
      OperatorSnapshot(
        bytes: BroadcastSnapshotParts(broadcast: broadcast, keyed: try keyed().bytes).bytes)
    }
  }

  @inlinable
  public func processBatch(_ batch: [Input], into output: inout [F.Output]) throws {
    guard let context, let readOnly, let writable else { return }
    let current = context.stateBackend.current
    var collector = Collector(buffer: output, side: context.operatorContext.sideOutputs)
    output = []
    defer {
      output = collector.buffer
      current.key = nil
      context.currentTimestamp = nil
    }
    for record in batch {
      switch record {
      case .first(let value):
        current.key = key(value)
        context.currentTimestamp = timestamp1?(value)
        try function.processElement(value, context: readOnly, out: &collector)
      case .second(let value):
        current.key = nil
        context.currentTimestamp = nil
        writable.currentTimestamp = timestamp2?(value)
        try function.processBroadcastElement(value, context: writable, out: &collector)
      }
    }
  }

  @inlinable
  public func processWatermark(_ watermark: Int64, into output: inout [F.Output]) throws -> Int64? {
    guard let context, let readOnly else { return watermark }
    try context.fireEventTimers(upTo: watermark, into: &output) { time, out in
      try function.onTimer(time, domain: .eventTime, context: readOnly, out: &out)
    }
    return watermark
  }

  @inlinable
  public func onTick(into output: inout [F.Output]) throws {
    guard let context, let readOnly else { return }
    try context.fireProcessingTimers(into: &output) { time, out in
      try function.onTimer(time, domain: .processingTime, context: readOnly, out: &out)
    }
  }

  @inlinable
  public func endOfInput(into output: inout [F.Output]) throws {
    // The final watermark: every remaining event-time timer fires.
    _ = try processWatermark(.max, into: &output)
  }

  @inlinable
  public func close() {
    context?.stateBackend.close()
  }
}

/// The two parts of a keyed broadcast operator's snapshot: `BCS1`, the
/// broadcast state's length and bytes, then the keyed state's bytes.
struct BroadcastSnapshotParts {
  static let magic: [UInt8] = Array("BCS1".utf8)
  let broadcast: [UInt8]
  let keyed: [UInt8]

  init(broadcast: [UInt8], keyed: [UInt8]) {
    self.broadcast = broadcast
    self.keyed = keyed
  }

  /// The parts of `bytes`.
  /// - Throws: ``StateError/corruptValue(state:keyGroup:underlying:)`` when
  ///   `bytes` is not such a snapshot.
  init(bytes: [UInt8]) throws {
    var reader = BinaryReader(bytes)
    do throws(CodecError) {
      guard Array(try reader.readRaw(count: 4, for: "broadcast snapshot header")) == Self.magic
      else {
        throw CodecError.invalid(type: "BroadcastSnapshotParts", reason: "bad magic")
      }
      broadcast = Array(try reader.readLengthPrefixed(for: "broadcast state"))
      keyed = Array(try reader.readRaw(count: reader.remaining, for: "keyed state"))
    } catch {
      throw StateError.corruptValue(state: "(broadcast operator)", keyGroup: -1, underlying: error)
    }
  }

  /// The encoded parts.
  var bytes: [UInt8] {
    var writer = BinaryWriter(capacity: broadcast.count + keyed.count + 16)
    writer.writeRaw(Self.magic)
    writer.writeLengthPrefixed(broadcast)
    writer.writeRaw(keyed)
    return writer.bytes
  }
}
