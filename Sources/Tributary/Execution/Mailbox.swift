import DequeModule
import Synchronization

/// The bounded input of one subtask: one FIFO queue per input channel.
///
/// Guarantees:
/// - Elements of one channel are received in the order they were sent.
/// - Each channel holds at most `capacity` elements; `send` suspends the
///   sender while its channel is full (backpressure), so memory stays bounded.
/// - ``cancel()`` wakes every suspended sender and receiver; afterwards
///   `send` throws `CancellationError` and `receive(until:)` returns `.cancelled`.
/// Thread-safe: any number of senders, one receiver.
final class Mailbox<T: Sendable>: AnyMailbox {
  private struct State: ~Copyable {
    var queues: [Deque<StreamElement<T>>]
    var waitingSenders: [[CheckedContinuation<Void, Never>]]
    var waitingReceiver: CheckedContinuation<Void, Never>?
    var receiverGeneration = 0
    var nextChannel = 0
    var cancelled = false
    var bufferedRecords = 0
    var peakBufferedRecords = 0
  }

  private let state: Mutex<State>
  /// Maximum number of elements queued per channel.
  let capacity: Int
  /// Number of input channels.
  let channelCount: Int

  init(channels: Int, capacity: Int) {
    precondition(channels > 0 && capacity > 0)
    self.capacity = capacity
    self.channelCount = channels
    state = Mutex(
      State(
        queues: Array(repeating: Deque(), count: channels),
        waitingSenders: Array(repeating: [], count: channels)))
  }

  /// The largest number of records that were queued at once (a memory bound check).
  var peakBufferedRecords: Int { state.withLock { $0.peakBufferedRecords } }

  /// Enqueues `element` on `channel`, suspending while the channel is full.
  /// Returns how long it waited for room, in nanoseconds (0 when the channel
  /// had room: the clock is read only on the waiting path).
  /// - Throws: `CancellationError` once the mailbox is cancelled.
  @discardableResult
  func send(_ element: StreamElement<T>, on channel: Int) async throws -> Int64 {
    var waitingSince: ContinuousClock.Instant?
    while true {
      let outcome: (sent: Bool, wake: CheckedContinuation<Void, Never>?) = try state.withLock {
        s in
        if s.cancelled { throw CancellationError() }
        guard s.queues[channel].count < capacity else { return (false, nil) }
        s.queues[channel].append(element)
        if case .records(let batch) = element {
          s.bufferedRecords += batch.count
          s.peakBufferedRecords = max(s.peakBufferedRecords, s.bufferedRecords)
        }
        let receiver = s.waitingReceiver
        s.waitingReceiver = nil
        return (true, receiver)
      }
      if outcome.sent {
        outcome.wake?.resume()
        guard let waitingSince else { return 0 }
        return (ContinuousClock.now - waitingSince).nanoseconds
      }
      if waitingSince == nil { waitingSince = .now }
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { s in
          if s.cancelled || s.queues[channel].count < capacity { return true }
          s.waitingSenders[channel].append(continuation)
          return false
        }
        if resumeNow { continuation.resume() }
      }
    }
  }

  /// Takes the next element from any channel without waiting, or `nil` when all are empty.
  func tryReceive(blocked: [Bool]? = nil) -> (channel: Int, element: StreamElement<T>)? {
    let (result, wake) = state.withLock { s in Self.dequeue(&s, blocked: blocked) }
    wake?.resume()
    return result
  }

  /// What ``receive(until:)`` returns.
  enum Received {
    case element(channel: Int, element: StreamElement<T>)
    case timedOut
    case cancelled
  }

  /// Takes the next element from a channel that is not `blocked`, waiting while
  /// none has one, but at most until `deadline` of `clock` (so the task can act
  /// on time). Channels are served round-robin so one busy input cannot starve another.
  func receive(
    until deadline: Duration, clock: any RuntimeClock = SystemRuntimeClock(),
    blocked: [Bool]? = nil
  ) async -> Received {
    while true {
      if state.withLock({ $0.cancelled }) { return .cancelled }
      let (result, wake) = state.withLock { s in Self.dequeue(&s, blocked: blocked) }
      wake?.resume()
      if let result { return .element(channel: result.channel, element: result.element) }
      if deadline <= clock.now() { return .timedOut }
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let generation: Int? = state.withLock { s in
          if s.cancelled { return nil }
          for c in s.queues.indices where !s.queues[c].isEmpty && !(blocked?[c] ?? false) {
            return nil
          }
          s.waitingReceiver = continuation
          s.receiverGeneration += 1
          return s.receiverGeneration
        }
        guard let generation else {
          continuation.resume()
          return
        }
        Task { [self] in
          try? await clock.sleep(until: deadline)
          let waiting = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.receiverGeneration == generation, let waiting = s.waitingReceiver else {
              return nil
            }
            s.waitingReceiver = nil
            return waiting
          }
          waiting?.resume()
        }
      }
    }
  }

  /// Wakes everyone and refuses further traffic. Idempotent.
  func cancel() {
    let (senders, receiver) = state.withLock { s in
      s.cancelled = true
      let senders = s.waitingSenders.flatMap { $0 }
      s.waitingSenders = Array(repeating: [], count: s.waitingSenders.count)
      let receiver = s.waitingReceiver
      s.waitingReceiver = nil
      return (senders, receiver)
    }
    for sender in senders { sender.resume() }
    receiver?.resume()
  }

  private static func dequeue(_ s: inout State, blocked: [Bool]? = nil) -> (
    (channel: Int, element: StreamElement<T>)?, CheckedContinuation<Void, Never>?
  ) {
    let count = s.queues.count
    for offset in 0..<count {
      let channel = (s.nextChannel + offset) % count
      if let blocked, blocked[channel] { continue }
      guard let element = s.queues[channel].popFirst() else { continue }
      s.nextChannel = (channel + 1) % count
      if case .records(let batch) = element { s.bufferedRecords -= batch.count }
      let sender = s.waitingSenders[channel].isEmpty ? nil : s.waitingSenders[channel].removeFirst()
      return ((channel, element), sender)
    }
    return (nil, nil)
  }
}

/// A mailbox seen without its record type, as the job holds the mailboxes of
/// all its chains. Thread-safe.
@usableFromInline
protocol AnyMailbox: AnyObject, Sendable {
  /// Wakes every suspended sender and receiver; later sends throw.
  func cancel()
  /// The most records the mailbox held at once.
  var peakBufferedRecords: Int { get }
}
