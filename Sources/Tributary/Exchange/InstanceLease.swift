/// Who holds (or wants) an instance's lease: a token unique to one process
/// start, and a description for people ("pid P on host H").
public struct LeaseHolder: Hashable, Sendable, CustomStringConvertible {
  /// Unique per process start (a UUID); two starts never share it.
  public let token: String
  /// "pid P on host H".
  public let description: String

  /// A holder; `token` must not contain a newline.
  public init(token: String, description: String) {
    self.token = token
    self.description = description
  }
}

/// The value stored under an instance's lease key: the holder and when the
/// lease expires unless renewed (milliseconds of the holder's wall clock),
/// since JetStream key-value buckets of nats-server 2.9 have no per-key TTL.
/// Encoded as readable text (`nats kv get` shows it).
public struct LeaseValue: Hashable, Sendable {
  /// The holder.
  public let holder: LeaseHolder
  /// Wall-clock milliseconds after which the lease is free unless renewed.
  public let expiresAt: Int64

  /// A value.
  public init(holder: LeaseHolder, expiresAt: Int64) {
    self.holder = holder
    self.expiresAt = expiresAt
  }

  /// `expires=<ms>\ntoken=<token>\nholder=<description>`.
  public var encoded: [UInt8] {
    Array("expires=\(expiresAt)\ntoken=\(holder.token)\nholder=\(holder.description)".utf8)
  }

  /// Parses ``encoded``; `nil` for anything else (treated as no lease).
  public init?(encoded bytes: [UInt8]) {
    var fields: [Substring: Substring] = [:]
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      guard let equals = line.firstIndex(of: "=") else { return nil }
      fields[line[..<equals]] = line[line.index(after: equals)...]
    }
    guard let expires = fields["expires"].flatMap({ Int64($0) }), let token = fields["token"],
      let holder = fields["holder"]
    else { return nil }
    self.init(
      holder: LeaseHolder(token: String(token), description: String(holder)), expiresAt: expires)
  }
}

/// A lease key as read: its value (`nil` when deleted or unreadable) and revision.
public struct LeaseEntry: Hashable, Sendable {
  /// The value.
  public let value: LeaseValue?
  /// The key-value store's revision of this entry.
  public let revision: UInt64

  /// An entry.
  public init(value: LeaseValue?, revision: UInt64) {
    self.value = value
    self.revision = revision
  }
}

/// Why a process may not run an instance: another holder renews its lease.
public struct LeaseRefusal: Error, Hashable, Sendable, CustomStringConvertible {
  /// The lease key.
  public let key: String
  /// Who holds it.
  public let holder: LeaseHolder
  /// When it expires unless renewed (the holder's wall-clock milliseconds).
  public let expiresAt: Int64
  /// The lease period in milliseconds.
  public let periodMillis: Int64

  /// Names the holder and says what to do.
  public var description: String {
    "\(key) is held by \(holder.description), which keeps renewing its lease: this instance "
      + "of the job is already running. Stop that process first (or start this one with "
      + "another --instance); a holder that crashed is taken over after one lease period "
      + "(\(periodMillis) ms)."
  }
}

/// Why a holder must stop processing and exit non-zero at once.
public enum LeaseLoss: Error, Hashable, Sendable, CustomStringConvertible {
  /// No renewal succeeded for too long: another process may take over soon.
  case couldNotRenew(key: String, lastRenewed: Int64, stopAt: Int64)
  /// Another process took the lease over (this one was presumed dead).
  case takenOver(key: String, by: LeaseHolder?)

  /// What happened and what follows.
  public var description: String {
    switch self {
    case .couldNotRenew(let key, let last, let stopAt):
      return "could not renew the lease \(key) since \(last) ms (deadline \(stopAt) ms): "
        + "stopping before another process may take this instance over. Check the "
        + "connection to the NATS server; restart the process when it is back."
    case .takenOver(let key, let holder):
      return "the lease \(key) was taken over by \(holder?.description ?? "another process"), "
        + "which now runs this instance: stopping (this process was presumed dead)."
    }
  }
}

/// What the lease's caller must do next.
public enum LeaseCommand: Hashable, Sendable {
  /// Read the lease key, then call ``InstanceLease/read(_:now:)``.
  case read
  /// Create the key with this value (failing if it exists), then call
  /// ``InstanceLease/written(revision:now:)`` or ``InstanceLease/writeRejected(now:)``.
  case create(LeaseValue)
  /// Update the key if its revision is still `expectedRevision`, then as for `create`.
  case update(LeaseValue, expectedRevision: UInt64)
  /// Call ``InstanceLease/tick(now:)`` at (or after) this time.
  case wait(until: Int64)
  /// The lease is ours: start (or keep) processing; then wait as told by ``InstanceLease/tick(now:)``.
  case acquired
  /// Give up: another process holds the lease.
  case refuse(LeaseRefusal)
  /// Stop processing and exit non-zero now.
  case stop(LeaseLoss)
}

/// Fencing of one instance of a scaled-out job by a lease in a JetStream
/// key-value bucket, as a pure state machine: the caller performs the
/// commands against the store and feeds back results and time (wall-clock
/// milliseconds, injected, so tests drive time).
///
/// - **Acquire**: read the key; absent → create it; expired → update it with
///   the revision read (so of two contenders one wins); held → watch it: a
///   renewal (new revision) means the holder is alive → ``LeaseCommand/refuse(_:)``
///   naming it; one whole period without renewal (measured on this clock, so
///   no clock agreement is needed) or `expiresAt + margin` passed → take over.
///   A second process therefore refuses within one period of starting, and a
///   process restarted after a crash takes over at most one period after the
///   holder's last renewal.
/// - **Hold**: renew (update with the revision we wrote) every `period / 3`;
///   the value's `expiresAt` is renewal time + `period`.
/// - **Must stop**: when no renewal succeeded for `period − margin` since the
///   last successful one was sent, or a renewal finds another revision (taken
///   over): ``LeaseCommand/stop(_:)``. The holder stops before any contender
///   may take over (a contender waits a full period after seeing our last
///   revision), provided the clocks run at about the same rate.
///
/// `margin` is `period / 4`. Not thread-safe: owned by one task.
public struct InstanceLease: Sendable {
  /// Where the state machine is.
  public enum Phase: Hashable, Sendable {
    /// Reading the key, or writing it to acquire.
    case contending
    /// Watching a held lease: `revision` was seen at `since`.
    case watching(revision: UInt64, since: Int64)
    /// Ours at `revision`; the last successful write was sent at `renewedAt`.
    case holding(revision: UInt64, renewedAt: Int64)
    /// Refused: another holder is alive.
    case refused
    /// Lost after holding it: the holder must stop.
    case lost
  }

  /// The lease key.
  public let key: String
  /// This process.
  public let holder: LeaseHolder
  /// Lease period in milliseconds.
  public let period: Int64
  /// Where it is.
  public private(set) var phase: Phase = .contending

  /// While holding: the moment a holder that has not renewed since must
  /// stop (``tick(now:)`` returns ``LeaseCommand/stop(_:)`` from then on);
  /// `nil` in any other phase. A watchdog can compare it with the clock while
  /// a store call of the renewal is still blocked.
  public var mustStopAt: Int64? {
    guard case .holding(_, let renewedAt) = phase else { return nil }
    return renewedAt + period - margin
  }

  private var margin: Int64 { period / 4 }
  private var renewEvery: Int64 { period / 3 }
  private var retryEvery: Int64 { max(1, period / 10) }
  /// When the pending write was sent (meaningful while a write is pending).
  private var writeSentAt: Int64 = 0
  private var hasAcquired = false

  /// A lease on `key` for `holder` with a period of `period` milliseconds (≥ 4).
  public init(key: String, holder: LeaseHolder, period: Int64) {
    precondition(period >= 4)
    self.key = key
    self.holder = holder
    self.period = period
  }

  /// First command: read the key.
  public mutating func start(now: Int64) -> LeaseCommand {
    phase = .contending
    return .read
  }

  /// The key was read: `entry` (`nil`: no such key).
  public mutating func read(_ entry: LeaseEntry?, now: Int64) -> LeaseCommand {
    switch phase {
    case .lost:
      return .stop(.takenOver(key: key, by: entry?.value?.holder))
    case .refused, .holding:
      return .wait(until: now + renewEvery)
    case .contending, .watching:
      break
    }
    guard let entry else { return write(.create(value(now)), now: now) }
    guard let value = entry.value, value.holder != holder else {
      return write(.update(self.value(now), expectedRevision: entry.revision), now: now)
    }
    if now >= value.expiresAt + margin {
      return write(.update(self.value(now), expectedRevision: entry.revision), now: now)
    }
    switch phase {
    case .watching(let revision, let since) where revision == entry.revision:
      if now - since >= period {
        return write(.update(self.value(now), expectedRevision: entry.revision), now: now)
      }
      return .wait(until: min(since + period, now + retryEvery))
    case .watching:
      // Renewed while we watched: the holder is alive.
      phase = .refused
      return .refuse(
        LeaseRefusal(
          key: key, holder: value.holder, expiresAt: value.expiresAt, periodMillis: period))
    default:
      phase = .watching(revision: entry.revision, since: now)
      return .wait(until: now + retryEvery)
    }
  }

  /// The pending create or update succeeded with `revision`.
  public mutating func written(revision: UInt64, now: Int64) -> LeaseCommand {
    switch phase {
    case .contending, .watching:
      phase = .holding(revision: revision, renewedAt: writeSentAt)
      hasAcquired = true
      return .acquired
    case .holding:
      phase = .holding(revision: revision, renewedAt: writeSentAt)
      return .wait(until: writeSentAt + renewEvery)
    case .refused, .lost:
      return .wait(until: now + renewEvery)
    }
  }

  /// The pending write was rejected: the key exists (create) or has another
  /// revision (update). Contending: read again. Holding: someone took over.
  public mutating func writeRejected(now: Int64) -> LeaseCommand {
    switch phase {
    case .holding:
      phase = .lost
      return .read
    case .contending, .watching:
      phase = .contending
      return .read
    case .refused, .lost:
      return .read
    }
  }

  /// The store could not be reached for the pending command. Holding: retried
  /// until the renewal deadline, then ``LeaseCommand/stop(_:)``; contending:
  /// retried after a tenth of a period (a caller may rather give up).
  public mutating func failed(now: Int64) -> LeaseCommand {
    if phase == .lost {
      // Taken over (a renewal found another revision): stop even without learning by whom.
      return .stop(.takenOver(key: key, by: nil))
    }
    if case .holding(_, let renewedAt) = phase, now >= renewedAt + period - margin {
      phase = .lost
      return .stop(
        .couldNotRenew(key: key, lastRenewed: renewedAt, stopAt: renewedAt + period - margin))
    }
    return .wait(until: now + retryEvery)
  }

  /// Time passed (call when a ``LeaseCommand/wait(until:)`` is due).
  public mutating func tick(now: Int64) -> LeaseCommand {
    switch phase {
    case .holding(let revision, let renewedAt):
      let stopAt = renewedAt + period - margin
      if now >= stopAt {
        phase = .lost
        return .stop(.couldNotRenew(key: key, lastRenewed: renewedAt, stopAt: stopAt))
      }
      if now >= renewedAt + renewEvery {
        return write(.update(value(now), expectedRevision: revision), now: now)
      }
      return .wait(until: renewedAt + renewEvery)
    case .contending, .watching:
      return .read
    case .refused:
      return .wait(until: now + period)
    case .lost:
      return .read
    }
  }

  /// Whether the lease was acquired at some point.
  public var wasAcquired: Bool { hasAcquired }

  private func value(_ now: Int64) -> LeaseValue {
    LeaseValue(holder: holder, expiresAt: now + period)
  }

  private mutating func write(_ command: LeaseCommand, now: Int64) -> LeaseCommand {
    writeSentAt = now
    return command
  }
}
