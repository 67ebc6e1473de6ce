import CNATS

extension JetStream {
  /// Benchmark baseline: reads every message of each of `subjects` in `stream` once, in
  /// stream order, subject after subject, `batch` messages per pull request, on the calling
  /// thread, straight through nats.c (no message values, no payload copies; only counts).
  /// Uses the same ephemeral no-ack pull consumer as `JetStreamSubjectReader`. Reads a subject
  /// until nothing is pending: first from the consumer's info, then from the last message of
  /// each batch.
  ///
  /// Returns how many messages and payload bytes were read.
  public func plainReadAll(
    stream: String, subjects: [String], batch: Int
  ) throws(NATSError) -> (messages: Int, bytes: Int) {
    var messages = 0
    var bytes = 0
    for subject in subjects {
      let subscription = try PullConsumer.subscribe(
        context: context, stream: stream, subject: subject)
      defer { PullConsumer.remove(subscription, deleteConsumer: connection.isConnected) }
      guard case .active(_, var pending) = try PullConsumer.state(of: subscription, stream: stream)
      else {
        throw .status(
          operation: "read \(stream) \(subject)", code: Int(NATS_NOT_FOUND.rawValue),
          text: "the consumer disappeared right after it was created")
      }
      while pending > 0 {
        var list = natsMsgList()
        let status = PullConsumer.fetch(subscription, into: &list, batch: batch, timeout: timeout)
        try NATSStatus.check(status, operation: "fetch from \(stream) \(subject)")
        let count = Int(list.Count)
        guard count > 0, let entries = list.Msgs else {
          natsMsgList_Destroy(&list)
          break
        }
        for index in 0..<count {
          bytes += Int(natsMsg_GetDataLength(entries[index]))
        }
        messages += count
        var metadata: UnsafeMutablePointer<jsMsgMetaData>?
        let metadataStatus = natsMsg_GetMetaData(&metadata, entries[count - 1])
        pending = metadataStatus == NATS_OK ? metadata?.pointee.NumPending ?? 0 : 0
        jsMsgMetaData_Destroy(metadata)
        natsMsgList_Destroy(&list)
        try NATSStatus.check(metadataStatus, operation: "read metadata of \(stream) \(subject)")
      }
    }
    return (messages, bytes)
  }
}
