import CNATS
import Synchronization

/// Counts the asynchronous publish acknowledgements of one `AsyncPublisher`; nats.c calls
/// `asyncAckHandler` with it on the context's reply thread.
final class AckCollector: Sendable {
  /// Positive acknowledgements (stored or duplicate).
  let acknowledged = Atomic<Int>(0)
  /// Payload bytes of the messages answered (either way).
  let acknowledgedBytes = Atomic<Int>(0)
  /// Positive acknowledgements that were duplicates.
  let duplicates = Atomic<Int>(0)
  /// Negative acknowledgements.
  let failures = Atomic<Int>(0)
  /// The first negative acknowledgement's error.
  let firstFailure = Mutex<NATSError?>(nil)

  /// Starts counting afresh for the next batch.
  func reset() {
    acknowledged.store(0, ordering: .relaxed)
    acknowledgedBytes.store(0, ordering: .relaxed)
    duplicates.store(0, ordering: .relaxed)
    failures.store(0, ordering: .relaxed)
    firstFailure.withLock { $0 = nil }
  }

  /// Acknowledgements of either kind so far.
  var answered: Int {
    acknowledged.load(ordering: .relaxed) + failures.load(ordering: .relaxed)
  }

  /// Records one acknowledgement: `ack` when positive, `failure` when not.
  func record(
    ack: UnsafeMutablePointer<jsPubAck>?, failure: UnsafeMutablePointer<jsPubAckErr>?,
    subject: UnsafePointer<CChar>?, bytes: Int
  ) {
    acknowledgedBytes.add(bytes, ordering: .relaxed)
    if let ack {
      acknowledged.add(1, ordering: .relaxed)
      if ack.pointee.Duplicate { duplicates.add(1, ordering: .relaxed) }
      return
    }
    failures.add(1, ordering: .relaxed)
    let error = failure.map { Self.error(of: $0.pointee, subject: subject) }
    firstFailure.withLock { first in
      if first == nil {
        first =
          error
          ?? .status(
            operation: "publishAll acknowledgement", code: Int(NATS_ERR.rawValue),
            text: "negative acknowledgement without details")
      }
    }
  }

  /// The `NATSError` for nats.c's description of a failed asynchronous publish.
  private static func error(of failure: jsPubAckErr, subject: UnsafePointer<CChar>?) -> NATSError {
    let text = failure.ErrText.map { String(cString: $0) } ?? NATSStatus.text(failure.Err)
    let target = subject.map { String(cString: $0) } ?? "?"
    let operation = "publishAll acknowledgement for a message to \(target)"
    if failure.Err == NATS_TIMEOUT {
      return .timeout(operation: operation)
    }
    if failure.ErrCode.rawValue != 0 {
      return .jetStream(
        code: Int(failure.Err.rawValue), errorCode: Int(failure.ErrCode.rawValue),
        description: text)
    }
    return .status(operation: operation, code: Int(failure.Err.rawValue), text: text)
  }
}

/// nats.c's acknowledgement callback for `AsyncPublisher`'s context: `closure` is the
/// (unretained) `AckCollector`. The callback owns `message` and destroys it.
let asyncAckHandler: jsPubAckHandler = { _, message, ack, failure, closure in
  if let closure {
    Unmanaged<AckCollector>.fromOpaque(closure).takeUnretainedValue()
      .record(
        ack: ack, failure: failure, subject: natsMsg_GetSubject(message),
        bytes: Int(natsMsg_GetDataLength(message)))
  }
  natsMsg_Destroy(message)
}
