/// The time domain of a timer.
public enum TimeDomain: UInt8, Sendable, BinaryCodable {
  /// Fires when the watermark passes the timer's timestamp.
  case eventTime = 0
  /// Fires when the processing-time clock passes the timer's timestamp.
  case processingTime = 1

  @inlinable
  public func encode(to writer: inout BinaryWriter) { writer.write(rawValue) }

  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> TimeDomain {
    let raw = try reader.readByte(for: "TimeDomain")
    guard let domain = TimeDomain(rawValue: raw) else {
      throw .invalid(type: "TimeDomain", reason: "unknown domain \(raw)")
    }
    return domain
  }
}

/// The state address of a timer: its domain, timestamp and namespace. Encoded
/// with the timestamp first so RocksDB keeps a key's timers in time order.
public struct TimerAddress<Namespace: BinaryCodable & Hashable>: BinaryCodable, Hashable {
  /// When it fires.
  public var timestamp: Int64
  /// Which clock.
  public var domain: TimeDomain
  /// The namespace (a window, or ``VoidNamespace``).
  public var namespace: Namespace

  @inlinable
  public init(timestamp: Int64, domain: TimeDomain, namespace: Namespace) {
    self.timestamp = timestamp
    self.domain = domain
    self.namespace = namespace
  }

  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    timestamp.encode(to: &writer)
    domain.encode(to: &writer)
    namespace.encode(to: &writer)
  }

  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Self {
    let timestamp = try Int64.decode(from: &reader)
    let domain = try TimeDomain.decode(from: &reader)
    return Self(
      timestamp: timestamp, domain: domain, namespace: try Namespace.decode(from: &reader))
  }
}

/// A min-heap of timers by timestamp (then insertion order for equal timestamps).
@usableFromInline
struct TimerHeap<Key, Namespace> {
  @usableFromInline
  struct Entry {
    @usableFromInline var timestamp: Int64
    @usableFromInline var sequence: Int
    @usableFromInline var key: Key
    @usableFromInline var namespace: Namespace
    @inlinable
    init(timestamp: Int64, sequence: Int, key: Key, namespace: Namespace) {
      self.timestamp = timestamp
      self.sequence = sequence
      self.key = key
      self.namespace = namespace
    }
    @inlinable func before(_ other: Entry) -> Bool {
      timestamp != other.timestamp ? timestamp < other.timestamp : sequence < other.sequence
    }
  }
  @usableFromInline var items: [Entry] = []
  @usableFromInline var sequence = 0

  @inlinable init() {}

  @inlinable var top: Entry? { items.first }
  @inlinable var count: Int { items.count }

  @inlinable
  mutating func push(_ timestamp: Int64, _ key: Key, _ namespace: Namespace) {
    sequence += 1
    items.append(Entry(timestamp: timestamp, sequence: sequence, key: key, namespace: namespace))
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child].before(items[parent]) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  @inlinable
  mutating func pop() -> Entry? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      guard left < items.count else { break }
      var smallest = left
      if left + 1 < items.count && items[left + 1].before(items[left]) { smallest = left + 1 }
      guard items[smallest].before(items[parent]) else { break }
      items.swapAt(parent, smallest)
      parent = smallest
    }
    return top
  }
}

/// Event-time and processing-time timers of one keyed subtask.
///
/// Guarantees: at most one timer per key, namespace, domain and timestamp
/// (registering again is a no-op); a deleted timer never fires; timers fire in
/// timestamp order (registration order for equal timestamps) once the
/// watermark (or the processing-time clock) reaches their timestamp; a timer
/// registered while firing fires in the same pass if already due. Timers are
/// stored in the job's state backend (the source of truth, part of snapshots);
/// an in-memory heap orders them. Used by one task only.
public final class TimerService<Key: BinaryCodable & Hashable, Namespace: BinaryCodable & Hashable>
{
  @usableFromInline let table: NamespacedState<Key, TimerAddress<Namespace>, Bool>
  @usableFromInline var eventTimers = TimerHeap<Key, Namespace>()
  @usableFromInline var processingTimers = TimerHeap<Key, Namespace>()
  /// The current event time: the last watermark received.
  public var currentWatermark: Int64 { storedWatermark }
  @usableFromInline var storedWatermark: Int64 = .min

  /// Creates the timer service named `name` in `backend`.
  @inlinable
  public init(name: String, backend: KeyedStateBackend<Key>) throws {
    table = try backend.namespacedState(
      name, namespace: TimerAddress<Namespace>.self, value: Bool.self)
  }

  /// Rebuilds the in-memory order from the timers stored in the state backend
  /// (after a restore).
  public func reload() throws {
    eventTimers = TimerHeap()
    processingTimers = TimerHeap()
    var timers: [(StateKey<Key, TimerAddress<Namespace>>)] = []
    try table.forEach { address, _ in timers.append(address) }
    timers.sort { $0.namespace.timestamp < $1.namespace.timestamp }
    for timer in timers {
      switch timer.namespace.domain {
      case .eventTime:
        eventTimers.push(timer.namespace.timestamp, timer.key, timer.namespace.namespace)
      case .processingTime:
        processingTimers.push(timer.namespace.timestamp, timer.key, timer.namespace.namespace)
      }
    }
  }

  /// Number of pending timers (both domains; includes deleted ones not yet popped).
  public var pendingCount: Int { eventTimers.count + processingTimers.count }

  /// Registers a timer; a duplicate is ignored.
  @inlinable
  public func register(
    _ domain: TimeDomain, at timestamp: Int64, key: Key, namespace: Namespace
  ) throws {
    let address = TimerAddress(timestamp: timestamp, domain: domain, namespace: namespace)
    let isNew: Bool = try table.modify(key, address) { present in
      if present != nil { return false }
      present = true
      return true
    }
    guard isNew else { return }
    switch domain {
    case .eventTime: eventTimers.push(timestamp, key, namespace)
    case .processingTime: processingTimers.push(timestamp, key, namespace)
    }
  }

  /// Deletes a timer (no-op when absent).
  @inlinable
  public func delete(
    _ domain: TimeDomain, at timestamp: Int64, key: Key, namespace: Namespace
  ) throws {
    try table.remove(key, TimerAddress(timestamp: timestamp, domain: domain, namespace: namespace))
  }

  /// Fires, in order, every event-time timer at or before `watermark`.
  @inlinable
  public func advanceWatermark(
    to watermark: Int64, _ fire: (Int64, Key, Namespace) throws -> Void
  ) throws {
    if watermark > storedWatermark { storedWatermark = watermark }
    try drain(.eventTime, upTo: watermark, fire)
  }

  /// Fires, in order, every processing-time timer at or before `now`.
  @inlinable
  public func advanceProcessingTime(to now: Int64, _ fire: (Int64, Key, Namespace) throws -> Void)
    throws
  {
    try drain(.processingTime, upTo: now, fire)
  }

  /// The earliest pending processing-time timer, if any.
  public var nextProcessingTime: Int64? { processingTimers.top?.timestamp }

  /// Pops and fires due timers one at a time; `fire` may register new timers
  /// (the heaps are not borrowed across the call), which fire in the same pass
  /// when already due.
  @inlinable
  func drain(
    _ domain: TimeDomain, upTo limit: Int64, _ fire: (Int64, Key, Namespace) throws -> Void
  ) throws {
    while true {
      let next: TimerHeap<Key, Namespace>.Entry?
      switch domain {
      case .eventTime:
        guard let top = eventTimers.top, top.timestamp <= limit else { return }
        next = eventTimers.pop()
      case .processingTime:
        guard let top = processingTimers.top, top.timestamp <= limit else { return }
        next = processingTimers.pop()
      }
      guard let top = next else { return }
      let address = TimerAddress(timestamp: top.timestamp, domain: domain, namespace: top.namespace)
      // A deleted timer is gone from the table: skip it. One lookup both
      // checks and removes.
      let stored = try table.modify(top.key, address) { present -> Bool in
        defer { present = nil }
        return present != nil
      }
      guard stored else { continue }
      try fire(top.timestamp, top.key, top.namespace)
    }
  }
}
