import CNATS

/// Turns nats.c statuses into `NATSError`s with nats.c's thread-local error text.
enum NATSStatus {
  /// nats.c's text for the last error of this thread when it belongs to `status`, otherwise
  /// the generic text of `status`.
  static func text(_ status: natsStatus) -> String {
    var lastStatus = NATS_OK
    if let last = nats_GetLastError(&lastStatus), lastStatus == status {
      let text = withoutSourceLocation(String(cString: last))
      if !text.isEmpty { return text }
    }
    guard let generic = natsStatus_GetText(status) else { return "status \(status.rawValue)" }
    return String(cString: generic)
  }

  /// `text` without the "(jsm.c:1033): " source location nats.c puts in front of its errors.
  static func withoutSourceLocation(_ text: String) -> String {
    guard text.first == "(", let close = text.firstIndex(of: ")") else { return text }
    let location = text[text.index(after: text.startIndex)..<close]
    let rest = text[text.index(after: close)...]
    guard location.contains(".c:"), rest.hasPrefix(": ") else { return text }
    return String(rest.dropFirst(2))
  }

  /// The `NATSError` for a failed `operation`. `jsError` is the JetStream error code nats.c
  /// reported (0 if none); `stream` names the stream the call addressed, so that "stream not
  /// found" becomes `.streamNotFound`.
  static func error(
    _ status: natsStatus, jsError: jsErrCode = jsErrCode(rawValue: 0), operation: String,
    stream: String? = nil
  ) -> NATSError {
    let text = text(status)
    if status == NATS_TIMEOUT {
      return .timeout(operation: operation)
    }
    if status == NATS_NO_RESPONDERS {
      // nats.c reports JSNotEnabledErr with it, but the usual cause is a subject no stream
      // captures; the `.status` description says both.
      return .status(operation: operation, code: Int(status.rawValue), text: text)
    }
    if let stream, jsError == JSStreamNotFoundErr {
      return .streamNotFound(stream)
    }
    if jsError.rawValue != 0 {
      return .jetStream(
        code: Int(status.rawValue), errorCode: Int(jsError.rawValue), description: text)
    }
    return .status(operation: operation, code: Int(status.rawValue), text: text)
  }

  /// Throws the `NATSError` for `status` unless it is `NATS_OK`.
  static func check(
    _ status: natsStatus, jsError: jsErrCode = jsErrCode(rawValue: 0), operation: String,
    stream: String? = nil
  ) throws(NATSError) {
    if status != NATS_OK {
      throw error(status, jsError: jsError, operation: operation, stream: stream)
    }
  }
}
