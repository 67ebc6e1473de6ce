/// Where a producer's router delivers the elements of one edge: a channel
/// range of the consumer's ``Mailbox``, seen with the producer's record type.
///
/// One-input consumers receive exactly the producer's type (``MailboxPort``);
/// a two-input operator's mailbox holds ``TwoInputRecord`` values, and each of
/// its inputs converts batches on the way in (``ConvertingPort``, one array
/// map per batch, never per record on the producer's side). Thread-safe like
/// the mailbox behind it.
class InputPort<T: Sendable>: AnyInputPort, @unchecked Sendable {
  /// Enqueues `element` on `channel`, suspending while the channel is full;
  /// returns the nanoseconds it waited for room.
  /// - Throws: `CancellationError` once the mailbox is cancelled.
  @discardableResult
  func send(_ element: StreamElement<T>, on channel: Int) async throws -> Int64 {
    fatalError("abstract")
  }
}

/// A port straight into a mailbox of the same record type.
final class MailboxPort<T: Sendable>: InputPort<T>, @unchecked Sendable {
  let mailbox: Mailbox<T>
  init(_ mailbox: Mailbox<T>) { self.mailbox = mailbox }
  override func send(_ element: StreamElement<T>, on channel: Int) async throws -> Int64 {
    try await mailbox.send(element, on: channel)
  }
}

/// A port into a mailbox of another record type: batches are converted,
/// control elements (watermarks, idleness, barriers, end of input) pass as they are.
final class ConvertingPort<T: Sendable, U: Sendable>: InputPort<T>, @unchecked Sendable {
  let mailbox: Mailbox<U>
  let convert: @Sendable (T) -> U
  init(_ mailbox: Mailbox<U>, convert: @escaping @Sendable (T) -> U) {
    self.mailbox = mailbox
    self.convert = convert
  }
  override func send(_ element: StreamElement<T>, on channel: Int) async throws -> Int64 {
    let converted: StreamElement<U>
    switch element {
    case .records(let batch): converted = .records(batch.map(convert))
    case .watermark(let watermark): converted = .watermark(watermark)
    case .idleness(let idle): converted = .idleness(idle)
    case .barrier(let barrier): converted = .barrier(barrier)
    case .endOfInput: converted = .endOfInput
    }
    return try await mailbox.send(converted, on: channel)
  }
}

/// An input port seen without its record type, between the node that makes it
/// (the consumer) and the router that casts it back (the producer, whose
/// output type it has). Thread-safe like the mailbox behind it.
@usableFromInline
class AnyInputPort: @unchecked Sendable {}
