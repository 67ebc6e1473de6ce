import Dispatch
import Foundation
import Synchronization
import Tributary

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The lease of one instance of a scaled-out job in a JetStream key-value bucket
/// (docs/scale-out.md, "Fencing"): ``InstanceLease``'s logic carried out against
/// ``KeyValueBucket``, with the key `<job>.instance-<I>` in the bucket `tributary-leases`.
///
/// ``acquire(in:jobName:instance:period:holder:clock:)`` returns once the lease is ours,
/// or throws ``LeaseRefusal`` naming the process that holds it (a double start, or a
/// zombie still renewing) — within about one period. ``keep()`` then renews it until
/// cancelled, and throws ``LeaseLoss`` when the holder must stop processing (no renewal
/// for three quarters of a period, or the lease was taken over); the caller must then
/// stop and exit non-zero. ``release()`` lets a successor take over at once.
///
/// Thread-safety: `Sendable`; `keep()` and `release()` may be called from any task (one
/// `keep()` at a time, `release()` after it).
/// Time: wall-clock milliseconds from `clock`; waits are real sleeps. Store calls block
/// for up to the bucket's JetStream timeout: keep it at most a fifth of the period (e.g.
/// 2 s for the default 10 s), so that one slow renewal is retried before the holder's
/// deadline instead of stopping it.
public final class JetStreamInstanceLease: Sendable {
  /// The bucket leases live in.
  public static let bucketName = "tributary-leases"

  /// The key of instance `instance` of job `jobName`.
  public static func key(jobName: String, instance: Int) -> String {
    "\(jobName).instance-\(instance)"
  }

  /// A holder for this process: a token unique to this start and "pid P on host H".
  public static func thisProcess() -> LeaseHolder {
    let token = "\(getpid())-" + String(UInt64.random(in: .min ... .max), radix: 16)
    return LeaseHolder(token: token, description: CheckpointDirectoryLock.processDescription())
  }

  /// The lease key.
  public let key: String
  /// This process.
  public let holder: LeaseHolder
  private let bucket: KeyValueBucket
  private let clock: any ProcessingClock
  private let machine: Mutex<InstanceLease>

  private init(
    bucket: KeyValueBucket, machine: InstanceLease, clock: any ProcessingClock
  ) {
    self.bucket = bucket
    self.key = machine.key
    self.holder = machine.holder
    self.clock = clock
    self.machine = Mutex(machine)
  }

  /// Acquires the lease of instance `instance` of `jobName` in `bucket`. Runs on a thread
  /// of its own (store calls block), so a busy cooperative pool cannot delay it.
  /// - Throws: ``LeaseRefusal`` when another process holds it and renews it;
  ///   `NATSError` when the bucket cannot be reached (a starting process does not wait
  ///   for the server); `CancellationError`.
  public static func acquire(
    in bucket: KeyValueBucket, jobName: String, instance: Int, period: Duration,
    holder: LeaseHolder = thisProcess(), clock: any ProcessingClock = SystemProcessingClock()
  ) async throws -> JetStreamInstanceLease {
    let (seconds, attoseconds) = period.components
    let periodMillis = max(4, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
    let machine = InstanceLease(
      key: key(jobName: jobName, instance: instance), holder: holder, period: periodMillis)
    let sleeper = Sleeper()
    return try await sleeper.run {
      var machine = machine
      var command = machine.start(now: clock.nowMillis())
      while true {
        switch command {
        case .acquired:
          return JetStreamInstanceLease(bucket: bucket, machine: machine, clock: clock)
        case .refuse(let refusal):
          throw refusal
        case .stop(let loss):
          throw loss
        case .wait(let until):
          try sleeper.sleep(until: until, clock: clock)
          command = machine.tick(now: clock.nowMillis())
        case .read, .create, .update:
          // Contending: a store that cannot be reached fails the start at once.
          command = try perform(
            command, on: bucket, key: machine.key, machine: &machine, clock: clock)
        }
      }
    }
  }

  /// Renews the lease until the task is cancelled. Runs on a thread of its own, so
  /// neither the job's load on the cooperative pool nor blocking store calls delay a
  /// renewal.
  /// - Throws: ``LeaseLoss`` when this process must stop processing now;
  ///   `CancellationError` when cancelled.
  public func keep() async throws {
    let sleeper = Sleeper()
    try await sleeper.run { [self] in
      var command = machine.withLock { $0.tick(now: clock.nowMillis()) }
      while true {
        switch command {
        case .stop(let loss):
          throw loss
        case .refuse(let refusal):
          throw refusal
        case .acquired:
          command = machine.withLock { $0.tick(now: clock.nowMillis()) }
        case .wait(let until):
          try sleeper.sleep(until: until, clock: clock)
          command = machine.withLock { $0.tick(now: clock.nowMillis()) }
        case .read, .create, .update:
          var copy = machine.withLock { $0 }
          do {
            command = try Self.perform(command, on: bucket, key: key, machine: &copy, clock: clock)
          } catch {
            command = copy.failed(now: clock.nowMillis())
          }
          let updated = copy
          machine.withLock { $0 = updated }
        }
      }
    }
  }

  /// Gives the lease up (writes it as expired), so a successor takes over without waiting
  /// a period. Call it after ``keep()`` ended (cancel it and await it first), when the
  /// process stops cleanly. Best effort: failures are ignored (the lease then simply
  /// expires).
  public func release() {
    let state = machine.withLock { $0.phase }
    guard case .holding(let revision, _) = state else { return }
    let expired = LeaseValue(holder: holder, expiresAt: 0)
    _ = try? bucket.update(key, value: expired.encoded, expectedRevision: revision)
  }

  /// Carries out one store command and feeds its outcome to `machine`.
  private static func perform(
    _ command: LeaseCommand, on bucket: KeyValueBucket, key: String,
    machine: inout InstanceLease, clock: any ProcessingClock
  ) throws -> LeaseCommand {
    switch command {
    case .read:
      let entry = try bucket.get(key).map {
        LeaseEntry(value: LeaseValue(encoded: $0.value), revision: $0.revision)
      }
      return machine.read(entry, now: clock.nowMillis())
    case .create(let value):
      return outcome(try bucket.create(key, value: value.encoded), &machine, clock)
    case .update(let value, let expected):
      return outcome(
        try bucket.update(key, value: value.encoded, expectedRevision: expected), &machine, clock)
    default:
      return command
    }
  }

  private static func outcome(
    _ write: KeyValueWrite, _ machine: inout InstanceLease, _ clock: any ProcessingClock
  ) -> LeaseCommand {
    switch write {
    case .written(let revision): machine.written(revision: revision, now: clock.nowMillis())
    case .rejected: machine.writeRejected(now: clock.nowMillis())
    }
  }

}

/// Runs a blocking loop on a thread of its own and lets it sleep in a way that
/// cancelling the awaiting task interrupts.
private final class Sleeper: Sendable {
  private let cancelled = Mutex(false)
  private let wake = DispatchSemaphore(value: 0)

  /// Runs `body` on a new thread; cancelling the calling task makes its sleeps throw
  /// `CancellationError`.
  func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "tributary-lease"
        thread.start()
      }
    } onCancel: {
      cancelled.withLock { $0 = true }
      wake.signal()
    }
  }

  /// Sleeps until `until` on `clock` (milliseconds), or throws `CancellationError` once
  /// the awaiting task is cancelled.
  func sleep(until: Int64, clock: any ProcessingClock) throws {
    while true {
      if cancelled.withLock({ $0 }) { throw CancellationError() }
      let wait = until - clock.nowMillis()
      if wait <= 0 { return }
      _ = wake.wait(timeout: .now() + .milliseconds(Int(wait)))
    }
  }
}
