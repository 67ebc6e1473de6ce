/// Encodes rows in COPY's text format (tab between values, newline after each row) into a
/// byte buffer, escaping the bytes that format gives a meaning: backslash, tab, newline and
/// carriage return. Every value is sent as text, never as NULL.
struct CopyTextEncoder {
  /// The buffer is sent to the server once it holds about this many bytes.
  static let chunkSize = 64 * 1024

  /// The encoded rows not sent yet.
  private(set) var bytes: [UInt8] = []

  init() { bytes.reserveCapacity(Self.chunkSize + 4 * 1024) }

  /// `true` when the buffer should be sent.
  var isFull: Bool { bytes.count >= Self.chunkSize }

  /// Appends one row; returns the index of the first value holding a NUL byte (which
  /// PostgreSQL text cannot carry) and appends nothing in that case.
  mutating func append(_ row: [String]) -> Int? {
    let rowStart = bytes.count
    for (index, value) in row.enumerated() {
      if index > 0 { bytes.append(UInt8(ascii: "\t")) }
      for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0:
          bytes.removeSubrange(rowStart...)
          return index
        default: bytes.append(byte)
        }
      }
    }
    bytes.append(UInt8(ascii: "\n"))
    return nil
  }

  /// Empties the buffer after it was sent, keeping its capacity.
  mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}
