/// Runs one source subtask: reads batches and pushes them down its chain,
/// optionally at a limited rate, until the source finishes or the job is cancelled.
struct SourceDriver<Out: Sendable> {
  let reader: SourceReader<Out>
  let next: Downstream<Out>
  let context: OperatorContext
  let batchSize: Int
  /// This subtask's share of the source's rate limit, in records per second.
  let ratePerSecond: Double?

  func run() async throws {
    let limit = ratePerSecond.map { max(1, min(batchSize, Int($0 / 200))) } ?? batchSize
    var buffer: [Out] = []
    buffer.reserveCapacity(limit)
    let start = ContinuousClock.now
    var emitted = 0
    var batches = 0
    while true {
      try Task.checkCancellation()
      buffer.removeAll(keepingCapacity: true)
      let status: SourceStatus
      do { status = try reader.read(&buffer, limit) } catch {
        throw JobError.operatorFailed(
          operatorName: context.operatorName, subtask: context.subtaskIndex, underlying: error)
      }
      if !buffer.isEmpty { try await next.push(buffer) }
      if case .finished = status { break }
      emitted += buffer.count
      batches += 1
      if let rate = ratePerSecond {
        let due = start + .seconds(Double(emitted) / rate)
        if due > .now {
          try await next.flush()
          try await Task.sleep(until: due, clock: .continuous)
        }
      } else if batches % 64 == 0 {
        await Task.yield()
      }
    }
    try await next.finish()
  }
}

/// Runs one non-source subtask: takes elements from its mailbox and pushes
/// them down its chain until every input channel has ended.
struct InputDriver<In: Sendable> {
  let mailbox: Mailbox<In>
  let head: Downstream<In>

  func run() async throws {
    var open = mailbox.channelCount
    while open > 0 {
      var next = mailbox.tryReceive()
      if next == nil {
        try await head.flush()
        next = await mailbox.receive()
      }
      guard let (_, element) = next else { throw CancellationError() }
      switch element {
      case .records(let batch): try await head.push(batch)
      case .endOfInput: open -= 1
      }
    }
    try await head.finish()
  }
}
