import Foundation
import TestServers
import Testing
import Tributary

@testable import TributaryNATS

/// The instance lease on a real nats-server's key-value bucket, with the
/// defaults of production (a 10 s period, a JetStream timeout of a fifth of
/// it) and memory storage (no fsync waits on a busy test machine): a double start
/// refuses naming the holder, a crashed holder is taken over after one period,
/// a taken-over holder stops, and compare-and-set writes are refused as such.
@Suite(.serialized) struct InstanceLeaseBindingTests {
  static let period = Duration.seconds(10)

  static func bucket(_ server: NATSServer) throws -> KeyValueBucket {
    try KeyValueBucket(
      JetStream(NATSConnection(url: server.url), timeout: .seconds(2)),
      name: JetStreamInstanceLease.bucketName, storage: .memory)
  }

  static func holder(_ pid: Int) -> LeaseHolder {
    LeaseHolder(token: "token-\(pid)", description: "pid \(pid) on host test")
  }

  @Test func compareAndSetWritesAreRefusedAsSuch() throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let bucket = try Self.bucket(server)
    #expect(try bucket.get("k") == nil)
    guard case .written(let first) = try bucket.create("k", value: [1]) else {
      Issue.record("create failed")
      return
    }
    #expect(try bucket.create("k", value: [2]) == .rejected)
    #expect(try bucket.update("k", value: [3], expectedRevision: first + 7) == .rejected)
    guard case .written(let second) = try bucket.update("k", value: [4], expectedRevision: first)
    else {
      Issue.record("update failed")
      return
    }
    let read = try #require(try bucket.get("k"))
    #expect(read.value == [4] && read.revision == second && second > first)
    // Opening the bucket again binds the existing one.
    let again = try Self.bucket(server)
    #expect(try again.get("k")?.value == [4])
  }

  /// Instance 1 of job "counts" started twice: the second start refuses,
  /// naming the first, which keeps its lease.
  @Test func aDoubleStartRefusesNamingTheHolder() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let first = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "counts", instance: 1, period: Self.period,
      holder: Self.holder(101))
    // The first holder renews on its own thread from now on.
    // How soon it refuses (within a period) is the pure machine's test; here
    // the test task itself may wait for a busy cooperative pool.
    do {
      _ = try await JetStreamInstanceLease.acquire(
        in: Self.bucket(server), jobName: "counts", instance: 1, period: Self.period,
        holder: Self.holder(202))
      Issue.record("the second start acquired the lease")
    } catch let refusal as LeaseRefusal {
      #expect(refusal.holder == Self.holder(101))
      #expect("\(refusal)".contains("counts.instance-1 is held by pid 101 on host test"))
    }
    // Another instance of the same job is not affected.
    let other = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "counts", instance: 2, period: Self.period,
      holder: Self.holder(303))
    other.release()
    first.release()
    try await first.keep()  // returns: released, not lost
  }

  /// The holder dies without releasing (it stops renewing): a restarted
  /// process takes over once the lease went unrenewed for one period.
  @Test func aCrashedHolderIsTakenOverAfterOnePeriod() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let crashed = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "counts", instance: 0, period: Self.period,
      holder: Self.holder(1))
    crashed.stopRenewingAsIfKilled()
    let bucket = try Self.bucket(server)
    let deadEntry = try #require(try bucket.get("counts.instance-0"))
    let dead = try #require(LeaseValue(encoded: deadEntry.value))
    let successor = try await JetStreamInstanceLease.acquire(
      in: bucket, jobName: "counts", instance: 0, period: Self.period, holder: Self.holder(2))
    let takenEntry = try #require(try bucket.get("counts.instance-0"))
    let taken = try #require(LeaseValue(encoded: takenEntry.value))
    #expect(taken.holder == Self.holder(2))
    // Each value expires one period after it was written (wall clock): the
    // takeover came no sooner than one period after the dead holder's last write.
    let periodMillis = Self.period.components.seconds * 1_000
    #expect(taken.expiresAt - periodMillis >= dead.expiresAt, "not before the lease went unrenewed")
    successor.release()
  }

  /// A released lease is taken at once.
  @Test func aReleasedLeaseIsTakenAtOnce() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let first = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "j", instance: 0, period: Self.period,
      holder: Self.holder(1))
    first.release()
    let stored = try #require(try Self.bucket(server).get("j.instance-0"))
    #expect(LeaseValue(encoded: stored.value)?.expiresAt == 0, "released: expired")
    // Taken without watching for a period (the machine's manual-clock tests
    // time it; the test task here may wait for a busy pool).
    _ = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "j", instance: 0, period: Self.period,
      holder: Self.holder(2))
  }

  /// A holder presumed dead whose lease was taken over stops at its next
  /// renewal, naming the new holder.
  @Test func aTakenOverHolderMustStop() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let first = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "j", instance: 0, period: Self.period,
      holder: Self.holder(1))
    let bucket = try Self.bucket(server)
    let current = try #require(try bucket.get("j.instance-0"))
    let intruder = LeaseValue(holder: Self.holder(9), expiresAt: Int64.max / 2)
    #expect(
      try bucket.update("j.instance-0", value: intruder.encoded, expectedRevision: current.revision)
        != .rejected)
    do {
      try await first.keep()
      Issue.record("keep() returned")
    } catch let loss as LeaseLoss {
      #expect(loss == .takenOver(key: "j.instance-0", by: Self.holder(9)))
    }
  }

  /// A holder cut off from the server stops before its lease may be taken over.
  @Test func aHolderThatCannotRenewStops() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let lease = try await JetStreamInstanceLease.acquire(
      in: Self.bucket(server), jobName: "j", instance: 0, period: Self.period,
      holder: Self.holder(1))
    server.stop()
    do {
      try await lease.keep()
      Issue.record("keep() returned")
    } catch let loss as LeaseLoss {
      guard case .couldNotRenew = loss else {
        Issue.record("unexpected \(loss)")
        return
      }
    }
  }
}
