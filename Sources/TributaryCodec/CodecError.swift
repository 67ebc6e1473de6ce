/// Why a byte sequence could not be decoded. Never a crash: corrupt files and
/// changed types surface as one of these, and callers add context (which
/// state, which key group) before reporting.
public enum CodecError: Error, Equatable, CustomStringConvertible {
  /// The input ended before a value of `type` was complete.
  case truncated(type: String, needed: Int, available: Int)
  /// The bytes are not a valid encoding of `type`.
  case invalid(type: String, reason: String)
  /// A complete value was decoded but bytes were left over.
  case trailingBytes(type: String, count: Int)

  public var description: String {
    switch self {
    case .truncated(let type, let needed, let available):
      return "truncated \(type): needed \(needed) bytes, only \(available) left"
    case .invalid(let type, let reason):
      return "invalid \(type): \(reason)"
    case .trailingBytes(let type, let count):
      return "\(count) unexpected bytes after a complete \(type)"
    }
  }
}
