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
/// zombie still renewing) — within about one period. From that moment a thread of its
/// own renews the lease (so neither a busy cooperative pool nor a caller that is slow to
/// look after it delays a renewal) until ``release()`` or until the lease is lost;
/// ``keep()`` waits for the loss and throws the ``LeaseLoss`` (no renewal for three
/// quarters of a period, or taken over): the caller must then stop processing and exit
/// non-zero. ``release()`` stops renewing and marks the lease expired, so a successor
/// takes over at once.
///
/// Thread-safety: `Sendable`; every member may be called from any task or thread.
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
  private let renewal = Mutex(Renewal())
  private let wake = DispatchSemaphore(value: 0)
  private let ended = DispatchSemaphore(value: 0)

  /// The renewal thread's outcome and who waits for it.
  private struct Renewal {
    /// `release()` or a test's crash asked the thread to stop; `true` = write the expiry.
    var stop: (requested: Bool, writeExpiry: Bool) = (false, false)
    /// Why the lease was lost, once it was.
    var loss: LeaseLoss?
    /// Whether the thread has ended.
    var finished = false
    /// Called on the lease's own thread when it is lost (``whenLost(_:)``).
    var lossHandler: (@Sendable (LeaseLoss) -> Void)?
    /// Tasks waiting in `keep()`, by id.
    var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    var nextWaiter = 0
  }

  private init(
    bucket: KeyValueBucket, machine: InstanceLease, clock: any ProcessingClock
  ) {
    self.bucket = bucket
    self.key = machine.key
    self.holder = machine.holder
    self.clock = clock
    self.machine = Mutex(machine)
  }

  /// Acquires the lease of instance `instance` of `jobName` in `bucket`, and keeps it
  /// renewed from then on. Runs on a thread of its own (store calls block).
  /// - Throws: ``LeaseRefusal`` when another process holds it and renews it;
  ///   `NATSError` when the bucket cannot be reached (a starting process does not wait
  ///   for the server); `CancellationError`.
  public static func acquire(
    in bucket: KeyValueBucket, jobName: String, instance: Int, period: Duration,
    holder: LeaseHolder = thisProcess(), clock: any ProcessingClock = SystemProcessingClock()
  ) async throws -> JetStreamInstanceLease {
    let (seconds, attoseconds) = period.components
    let periodMillis = max(4, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
    let initial = InstanceLease(
      key: key(jobName: jobName, instance: instance), holder: holder, period: periodMillis)
    let cancelled = Mutex(false)
    let wake = DispatchSemaphore(value: 0)
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
          var machine = initial
          var command = machine.start(now: clock.nowMillis())
          do {
            while true {
              switch command {
              case .acquired:
                let lease = JetStreamInstanceLease(bucket: bucket, machine: machine, clock: clock)
                continuation.resume(returning: lease)
                let watchdog = Thread { lease.watchTheDeadline() }
                watchdog.name = "tributary-lease-watchdog"
                watchdog.start()
                lease.renewUntilStopped()
                return
              case .refuse(let refusal):
                throw refusal
              case .stop(let loss):
                throw loss
              case .wait(let until):
                while clock.nowMillis() < until {
                  if cancelled.withLock({ $0 }) { throw CancellationError() }
                  _ = wake.wait(
                    timeout: .now() + .milliseconds(Int(until - clock.nowMillis())))
                }
                command = machine.tick(now: clock.nowMillis())
              case .read, .create, .update:
                // Contending: a store that cannot be reached fails the start at once.
                command = try perform(
                  command, on: bucket, key: machine.key, machine: &machine, clock: clock)
              }
            }
          } catch {
            continuation.resume(throwing: error)
          }
        }
        thread.name = "tributary-lease"
        thread.start()
      }
    } onCancel: {
      cancelled.withLock { $0 = true }
      wake.signal()
    }
  }

  /// Waits until the lease is lost, or returns when it was released.
  /// - Throws: ``LeaseLoss`` when this process must stop processing now;
  ///   `CancellationError` when the waiting task is cancelled (renewals go on).
  public func keep() async throws {
    let id = renewal.withLock { state -> Int in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Void, any Error>) in
        renewal.withLock { state in
          if let loss = state.loss {
            continuation.resume(throwing: loss)
          } else if state.finished || Task.isCancelled {
            if Task.isCancelled {
              continuation.resume(throwing: CancellationError())
            } else {
              continuation.resume()
            }
          } else {
            state.waiters[id] = continuation
          }
        }
      }
    } onCancel: {
      let waiter = renewal.withLock { $0.waiters.removeValue(forKey: id) }
      waiter?.resume(throwing: CancellationError())
    }
  }

  /// Calls `handler` once when the lease is lost, on the lease's own thread
  /// (at once if it was lost already): unlike ``keep()`` it needs no task to
  /// be scheduled, so it runs even when blocking calls occupy every thread of
  /// the cooperative pool — as a partition does to a job's calls to its
  /// servers. Meant for ending the process.
  public func whenLost(_ handler: @escaping @Sendable (LeaseLoss) -> Void) {
    let lost = renewal.withLock { state -> LeaseLoss? in
      if let loss = state.loss { return loss }
      state.lossHandler = handler
      return nil
    }
    if let lost { handler(lost) }
  }

  /// Stops renewing and gives the lease up (writes it as expired), so a successor takes
  /// over without waiting a period; `keep()` then returns. Call it when the process
  /// stops cleanly. Blocks until the renewal thread ended (at most about the store's
  /// timeout). Best effort: a failed write only makes the successor wait a period.
  public func release() {
    stopRenewing(writeExpiry: true)
  }

  /// Stops renewing without giving the lease up, as a process killed with `kill -9`
  /// would: for tests of takeovers.
  func stopRenewingAsIfKilled() {
    stopRenewing(writeExpiry: false)
  }

  private func stopRenewing(writeExpiry: Bool) {
    let running = renewal.withLock { state -> Bool in
      guard !state.finished, !state.stop.requested else { return false }
      state.stop = (true, writeExpiry)
      return true
    }
    guard running else { return }
    wake.signal()
    _ = ended.wait(timeout: .now() + .seconds(30))
  }

  /// The renewal loop, on the thread that acquired the lease.
  private func renewUntilStopped() {
    defer { ended.signal() }
    var command = machine.withLock { $0.tick(now: clock.nowMillis()) }
    while true {
      let stop = renewal.withLock { $0.stop }
      if stop.requested {
        if stop.writeExpiry, case .holding(let revision, _) = machine.withLock({ $0.phase }) {
          let expired = LeaseValue(holder: holder, expiresAt: 0)
          _ = try? bucket.update(key, value: expired.encoded, expectedRevision: revision)
        }
        finish(loss: nil)
        return
      }
      switch command {
      case .stop(let loss):
        finish(loss: loss)
        return
      case .refuse, .acquired:
        command = machine.withLock { $0.tick(now: clock.nowMillis()) }
      case .wait(let until):
        let wait = until - clock.nowMillis()
        if wait > 0 { _ = wake.wait(timeout: .now() + .milliseconds(Int(wait))) }
        if clock.nowMillis() >= until {
          command = machine.withLock { $0.tick(now: clock.nowMillis()) }
        }
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

  /// Declares the lease lost when its deadline passes although a renewal is
  /// still blocked in a store call (a partition can hold one far beyond the
  /// store's timeout): the renewal thread alone would notice only once the
  /// call returned. Polls every tenth of the lease's margin, at most 50 ms.
  private func watchTheDeadline() {
    let (period, key) = machine.withLock { ($0.period, $0.key) }
    let poll = max(1, min(50, Int(period / 40)))
    while !renewal.withLock({ $0.finished }) {
      Thread.sleep(forTimeInterval: Double(poll) / 1_000)
      let (phase, mustStopAt) = machine.withLock { ($0.phase, $0.mustStopAt) }
      guard case .holding(_, let renewedAt) = phase, let stopAt = mustStopAt,
        clock.nowMillis() >= stopAt
      else { continue }
      renewal.withLock { $0.stop = (true, false) }
      wake.signal()
      finish(loss: .couldNotRenew(key: key, lastRenewed: renewedAt, stopAt: stopAt))
      return
    }
  }

  /// Ends the lease with `loss` (or a release) and wakes the waiters; only
  /// the first call counts.
  private func finish(loss: LeaseLoss?) {
    let (waiters, handler) = renewal.withLock {
      state -> ([CheckedContinuation<Void, any Error>], (@Sendable (LeaseLoss) -> Void)?) in
      guard !state.finished else { return ([], nil) }
      state.finished = true
      state.loss = loss
      defer { state.waiters = [:] }
      return (Array(state.waiters.values), state.lossHandler)
    }
    for waiter in waiters {
      if let loss { waiter.resume(throwing: loss) } else { waiter.resume() }
    }
    if let loss, let handler { handler(loss) }
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
