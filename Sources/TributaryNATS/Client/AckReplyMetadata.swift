/// The sequences a JetStream delivery carries in its reply subject, parsed in place (no
/// allocation, unlike `natsMsg_GetMetaData`, which copies stream and consumer names).
///
/// The reply subject is `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.
/// <timestamp>.<pending>` (v1) or `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.
/// <delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>[.<token>]` (v2); nats.c's
/// own parser (js_getMetaData) accepts the same two shapes.
struct AckReplyMetadata: Equatable {
  /// The message's sequence in the stream.
  var streamSequence: UInt64
  /// The delivery's sequence in the consumer (1, 2, 3, ... without redeliveries).
  var consumerSequence: UInt64
  /// Messages still pending for the consumer after this one.
  var pending: UInt64

  private static let prefix: [UInt8] = Array("$JS.ACK.".utf8)
  private static let dot = UInt8(ascii: ".")

  /// Parses `reply` (a NUL-terminated C string); nil if it is not a JetStream ack subject.
  init?(reply: UnsafePointer<CChar>?) {
    guard let reply else { return nil }
    let bytes = UnsafeRawPointer(reply).assumingMemoryBound(to: UInt8.self)
    var length = 0
    while bytes[length] != 0 { length += 1 }
    self.init(bytes: UnsafeBufferPointer(start: bytes, count: length))
  }

  /// Parses the bytes of a reply subject (without terminator).
  init?(bytes: UnsafeBufferPointer<UInt8>) {
    let prefix = Self.prefix
    guard bytes.count > prefix.count else { return nil }
    for index in 0..<prefix.count where bytes[index] != prefix[index] { return nil }
    var tokens = 1
    for index in prefix.count..<bytes.count where bytes[index] == Self.dot { tokens += 1 }
    // Index (among the tokens after "$JS.ACK.") of the "delivered" count.
    let delivered: Int
    if tokens == 7 {
      delivered = 2
    } else if tokens >= 9 {
      delivered = 4
    } else {
      return nil
    }
    var token = 0
    var value: UInt64 = 0
    var digits = 0
    var sequences: (stream: UInt64, consumer: UInt64, pending: UInt64) = (0, 0, 0)
    var index = prefix.count
    while index <= bytes.count {
      let byte = index < bytes.count ? bytes[index] : Self.dot
      index += 1
      if byte == Self.dot {
        if token > delivered && digits == 0 { return nil }
        switch token - delivered {
        case 1: sequences.stream = value
        case 2: sequences.consumer = value
        case 4:
          sequences.pending = value
          self.init(
            streamSequence: sequences.stream, consumerSequence: sequences.consumer,
            pending: sequences.pending)
          return
        default: break
        }
        token += 1
        value = 0
        digits = 0
      } else if token > delivered {
        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
        value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
        digits += 1
      }
    }
    return nil
  }

  /// Creates metadata from its parts.
  init(streamSequence: UInt64, consumerSequence: UInt64, pending: UInt64) {
    self.streamSequence = streamSequence
    self.consumerSequence = consumerSequence
    self.pending = pending
  }
}
