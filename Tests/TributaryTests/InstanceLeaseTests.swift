import Testing

@testable import Tributary

/// The lease logic of fencing (docs/scale-out.md, "Fencing") against an
/// in-memory key-value store with revisions and a manual clock: double
/// starts refuse naming the holder, crashed holders are taken over after one
/// unrenewed period, and a holder that cannot renew stops first.
@Suite struct InstanceLeaseTests {
  static let period: Int64 = 10_000
  static let key = "counts.instance-2"

  /// A key-value store with per-key revisions, as JetStream's (create fails
  /// when the key exists, update when the revision differs).
  struct Store {
    var entry: LeaseEntry?
    var revision: UInt64 = 0
    var reachable = true

    enum Outcome: Equatable {
      case written(UInt64)
      case rejected, unreachable
    }

    mutating func perform(_ command: LeaseCommand) -> Outcome? {
      guard reachable else { return .unreachable }
      switch command {
      case .create(let value):
        guard entry == nil else { return .rejected }
        revision += 1
        entry = LeaseEntry(value: value, revision: revision)
        return .written(revision)
      case .update(let value, let expected):
        guard entry?.revision == expected else { return .rejected }
        revision += 1
        entry = LeaseEntry(value: value, revision: revision)
        return .written(revision)
      default:
        return nil
      }
    }
  }

  /// One process's lease driven against `store`: runs commands until the
  /// lease waits (returned with its time), acquires, refuses or stops.
  struct Process {
    var lease: InstanceLease
    var next: LeaseCommand
    var due: Int64 = 0
    var events: [LeaseCommand] = []
    /// When the lease was acquired.
    var acquiredAt: Int64?

    init(_ name: String, now: Int64) {
      lease = InstanceLease(
        key: InstanceLeaseTests.key,
        holder: LeaseHolder(token: "token-\(name)", description: "pid \(name) on host h"),
        period: InstanceLeaseTests.period)
      next = lease.start(now: now)
    }

    /// Carries out commands at `now` until the process has to wait.
    mutating func run(_ store: inout Store, now: Int64) {
      var steps = 0
      while steps < 20 {
        steps += 1
        switch next {
        case .read:
          next = store.reachable ? lease.read(store.entry, now: now) : lease.failed(now: now)
        case .create, .update:
          switch store.perform(next)! {
          case .written(let revision): next = lease.written(revision: revision, now: now)
          case .rejected: next = lease.writeRejected(now: now)
          case .unreachable: next = lease.failed(now: now)
          }
        case .wait(let until):
          if until > now {
            due = until
            return
          }
          next = lease.tick(now: now)
        case .acquired:
          events.append(next)
          acquiredAt = now
          next = lease.tick(now: now)
        case .refuse, .stop:
          events.append(next)
          due = .max
          return
        }
      }
      Issue.record("the lease did not settle: \(next)")
    }
  }

  /// Runs every process whose time has come, in order, until `end`, in 100 ms steps.
  static func run(
    _ processes: inout [Process], _ store: inout Store, from start: Int64, to end: Int64
  ) {
    var now = start
    while now <= end {
      for i in processes.indices where processes[i].due <= now {
        processes[i].run(&store, now: now)
      }
      now += 100
    }
  }

  @Test func aFreeLeaseIsAcquiredAndRenewed() {
    var store = Store()
    var processes = [Process("1", now: 0)]
    Self.run(&processes, &store, from: 0, to: 60_000)
    #expect(processes[0].events == [.acquired])
    #expect(store.entry?.value?.holder.description == "pid 1 on host h")
    // Renewed every period / 3: about 18 writes in 60 s, and never expired.
    #expect(store.revision >= 17)
    #expect(store.entry!.value!.expiresAt > 60_000)
    guard case .holding = processes[0].lease.phase else {
      Issue.record("not holding: \(processes[0].lease.phase)")
      return
    }
  }

  /// A double start refuses within one period, naming the holder, while the
  /// holder keeps its lease.
  @Test func aSecondProcessRefusesNamingTheHolder() throws {
    var store = Store()
    var processes = [Process("1", now: 0)]
    Self.run(&processes, &store, from: 0, to: 5_000)
    processes.append(Process("2", now: 5_100))
    Self.run(&processes, &store, from: 5_100, to: 5_100 + Self.period)
    let refusal = try #require(processes[1].events.first)
    guard case .refuse(let reason) = refusal else {
      Issue.record("expected a refusal, got \(refusal)")
      return
    }
    #expect(reason.holder.description == "pid 1 on host h")
    #expect("\(reason)".contains("held by pid 1 on host h"))
    #expect(processes[0].events == [.acquired], "the holder is undisturbed")
    #expect(store.entry?.value?.holder.token == "token-1")
  }

  /// After the holder crashed (stops renewing), a restarted process takes
  /// over once the lease went unrenewed for one period — not before.
  @Test func aCrashedHolderIsTakenOverAfterOnePeriod() throws {
    var store = Store()
    var holder = [Process("1", now: 0)]
    Self.run(&holder, &store, from: 0, to: 4_000)
    let lastRenewal = store.entry!.value!.expiresAt - Self.period
    // Process 1 dies at 4 000 ms; process 2 starts at once.
    var processes = [Process("2", now: 4_100)]
    Self.run(&processes, &store, from: 4_100, to: 30_000)
    #expect(processes[0].events == [.acquired])
    #expect(store.entry?.value?.holder.token == "token-2")
    // Not before the dead holder's lease went unrenewed for one period, and
    // at most one period after the contender first saw it.
    let takenAt = try #require(processes[0].acquiredAt)
    #expect(takenAt >= lastRenewal + Self.period)
    #expect(takenAt <= 4_100 + Self.period + 100)
  }

  /// A lease whose expiry passed long ago is taken over at once.
  @Test func aLongExpiredLeaseIsTakenAtOnce() {
    var store = Store()
    store.revision = 7
    store.entry = LeaseEntry(
      value: LeaseValue(
        holder: LeaseHolder(token: "old", description: "pid 9 on host gone"), expiresAt: 1_000),
      revision: 7)
    var processes = [Process("2", now: 100_000)]
    processes[0].run(&store, now: 100_000)
    #expect(processes[0].events == [.acquired])
    #expect(store.revision == 8)
  }

  /// A holder cut off from the store stops before anyone may take over, and
  /// the contender takes over only after that.
  /// A holder's deadline (what a watchdog checks while a renewal is still
  /// blocked) is its last successful renewal plus three quarters of a period,
  /// and moves with every renewal.
  @Test func theHoldersDeadlineFollowsItsRenewals() {
    var lease = InstanceLease(
      key: Self.key, holder: LeaseHolder(token: "t", description: "pid 1 on host h"),
      period: 2_000)
    #expect(lease.mustStopAt == nil, "not held yet")
    var command = lease.start(now: 0)
    if case .read = command { command = lease.read(nil, now: 0) }
    guard case .create = command else {
      Issue.record("a free lease is created, got \(command)")
      return
    }
    _ = lease.written(revision: 1, now: 10)
    #expect(lease.mustStopAt == 1_500)
    guard case .update = lease.tick(now: 700) else {
      Issue.record("renews after a third of the period")
      return
    }
    _ = lease.written(revision: 2, now: 720)
    #expect(lease.mustStopAt == Int64(2_200), "renewed at 700 ms")
  }

  @Test func aHolderThatCannotRenewStopsBeforeATakeover() throws {
    var store = Store()
    var processes = [Process("1", now: 0)]
    Self.run(&processes, &store, from: 0, to: 3_000)
    let lastRevision = store.revision
    // Partition: process 1 can no longer reach the store; process 2 can.
    var cutOff = Store(entry: store.entry, revision: store.revision, reachable: false)
    Self.run(&processes, &cutOff, from: 3_100, to: 30_000)
    let stop = processes[0].events.last
    guard case .stop(let loss) = stop, case .couldNotRenew(_, let renewedAt, let stopAt) = loss
    else {
      Issue.record("expected the holder to stop, got \(String(describing: stop))")
      return
    }
    #expect(stopAt == renewedAt + Self.period - Self.period / 4)
    #expect(processes[0].lease.mustStopAt == nil, "lost: no deadline any more")
    var contender = [Process("2", now: 3_100)]
    Self.run(&contender, &store, from: 3_100, to: 30_000)
    #expect(contender[0].events == [.acquired])
    let takenAt = try #require(contender[0].acquiredAt)
    #expect(takenAt > stopAt, "the old holder stopped before the takeover")
    #expect(store.revision > lastRevision)
  }

  /// A holder whose lease was taken over (it was presumed dead) learns it at
  /// its next renewal and stops, naming the new holder.
  @Test func aHolderThatWasTakenOverStops() {
    var store = Store()
    var processes = [Process("1", now: 0)]
    Self.run(&processes, &store, from: 0, to: 1_000)
    store.revision += 1
    store.entry = LeaseEntry(
      value: LeaseValue(
        holder: LeaseHolder(token: "other", description: "pid 5 on host b"), expiresAt: 99_000),
      revision: store.revision)
    Self.run(&processes, &store, from: 1_100, to: 10_000)
    #expect(
      processes[0].events.last
        == .stop(
          .takenOver(
            key: Self.key, by: LeaseHolder(token: "other", description: "pid 5 on host b"))))
  }

  /// Two processes starting together on a free lease: exactly one acquires.
  @Test func ofTwoContendersOneWins() {
    var store = Store()
    var processes = [Process("1", now: 0), Process("2", now: 0)]
    // Both read "absent" before either writes.
    processes[0].next = processes[0].lease.read(nil, now: 0)
    processes[1].next = processes[1].lease.read(nil, now: 0)
    Self.run(&processes, &store, from: 0, to: 25_000)
    let acquired = processes.filter { $0.events.contains(.acquired) }
    let refused = processes.filter {
      $0.events.contains { if case .refuse = $0 { true } else { false } }
    }
    #expect(acquired.count == 1 && refused.count == 1)
  }

  /// Taken over, then the store cannot be reached to learn by whom: stop anyway.
  @Test func aTakenOverHolderStopsEvenWhenItCannotReadTheNewHolder() {
    var lease = InstanceLease(
      key: Self.key, holder: LeaseHolder(token: "t", description: "pid 1 on host h"),
      period: Self.period)
    #expect(lease.start(now: 0) == .read)
    guard case .create = lease.read(nil, now: 0) else {
      Issue.record("expected a create")
      return
    }
    #expect(lease.written(revision: 1, now: 0) == .acquired)
    guard case .update(_, expectedRevision: 1) = lease.tick(now: 4_000) else {
      Issue.record("expected a renewal")
      return
    }
    #expect(lease.writeRejected(now: 4_000) == .read)
    #expect(lease.failed(now: 4_100) == .stop(.takenOver(key: Self.key, by: nil)))
  }

  @Test func valuesRoundTripAsText() {
    let value = LeaseValue(
      holder: LeaseHolder(token: "4F1C", description: "pid 12 on host a-1"), expiresAt: 1_234)
    #expect(String(decoding: value.encoded, as: UTF8.self).hasPrefix("expires=1234\n"))
    #expect(LeaseValue(encoded: value.encoded) == value)
    #expect(LeaseValue(encoded: Array("garbage".utf8)) == nil)
  }
}
