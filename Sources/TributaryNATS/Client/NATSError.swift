import CNATS

/// A failure reported by nats.c or by the NATS server, carrying nats.c's own text and a hint
/// at what to do about it.
///
/// Every throwing call of `TributaryNATS` throws exactly this type. The associated strings are
/// nats.c's error text (`nats_GetLastError`) or the JetStream API's error description, verbatim.
public enum NATSError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The connection to `url` could not be established (no server listening, refused,
  /// handshake failed); `reason` is nats.c's text.
  case connectionFailed(url: String, reason: String)
  /// The server did not answer `operation` within its timeout.
  case timeout(operation: String)
  /// The named JetStream stream does not exist on the server.
  case streamNotFound(String)
  /// The JetStream API rejected a request. `code` is the nats.c status (`natsStatus` raw value;
  /// nats.c does not expose the API's HTTP-like code), `errorCode` the JetStream error code
  /// (`jsErrCode`, e.g. 10058 "stream name already in use"), `description` the server's text.
  case jetStream(code: Int, errorCode: Int, description: String)
  /// Any other nats.c failure of `operation`: `code` is the `natsStatus` raw value, `text`
  /// nats.c's description.
  case status(operation: String, code: Int, text: String)

  public var description: String {
    switch self {
    case .connectionFailed(let url, let reason):
      return "cannot connect to NATS at \(url): \(reason). "
        + "Check that nats-server is running there (started with -js for JetStream) "
        + "and that the URL and port are right."
    case .timeout(let operation):
      return "NATS \(operation) timed out. "
        + "The server did not answer in time: check that it is running, reachable and has "
        + "JetStream enabled (-js), or use a longer timeout."
    case .streamNotFound(let name):
      return "JetStream stream '\(name)' does not exist. "
        + "Create it first (JetStream.createStream(name:subjects:)) or check the name."
    case .jetStream(let code, let errorCode, let description):
      return "JetStream rejected the request: \(description) "
        + "(JetStream error \(errorCode), nats status \(code)). "
        + "Fix the request as the server's description says."
    case .status(let operation, let code, let text):
      let hint =
        code == Int(NATS_NO_RESPONDERS.rawValue)
        ? " No stream captures that subject, or the server runs without JetStream (-js)."
        : code == Int(NATS_CONNECTION_CLOSED.rawValue)
          ? " The connection was closed; open a new NATSConnection." : ""
      return "NATS \(operation) failed: \(text) (nats status \(code)).\(hint)"
    }
  }
}
