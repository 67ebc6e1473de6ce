import CLibPQ

/// One blocking libpq connection to a PostgreSQL server.
///
/// Every call blocks the calling thread until the server answered (or the connection
/// failed), which suits callers that already run synchronously on their own task, such as a
/// sink's hooks. Commands run in the order they are called, each after the previous one
/// finished; a failed command leaves the connection usable unless the error says
/// ``PostgresError/isConnectionLost``.
///
/// Thread-safety: **not thread-safe**. Use a connection from one task at a time (it may move
/// between tasks, hence `Sendable`); two concurrent calls corrupt libpq's protocol state.
/// Server notices (NOTICE, WARNING) are discarded.
public final class PostgresConnection: @unchecked Sendable {
  /// libpq's connection; `nil` once closed. Only this module's files touch it.
  private(set) var handle: OpaquePointer?
  /// The URL with its password removed, for error messages.
  let redactedURL: String

  /// Connects to `url` and waits until the server accepted the login.
  ///
  /// - Parameters:
  ///   - url: a libpq connection URI such as `postgresql://USER@HOST:PORT/DB` (a `key=value`
  ///     connection string works too).
  ///   - connectTimeout: how long to wait for the server, rounded up to whole seconds
  ///     (libpq waits at least 2 s); it overrides a `connect_timeout` in the URL. The client
  ///     encoding is always UTF-8.
  /// - Throws: a ``PostgresError`` with ``PostgresError/isConnectionLost`` set when the server
  ///   is unreachable, refuses the login or does not answer in time; the message is libpq's.
  public init(url: String, connectTimeout: Duration = .seconds(5)) throws(PostgresError) {
    let parameters = ConnectionParameters(url: url, connectTimeout: connectTimeout)
    redactedURL = parameters.redactedURL
    let operation = "connect to \(parameters.redactedURL)"
    guard !url.containsNUL else {
      throw PostgresError(
        sqlState: nil, message: "the URL contains a NUL byte", operation: operation,
        isConnectionLost: true)
    }
    let keywords = CStringArray(parameters.keywords.map { Optional($0) } + [nil])
    let values = CStringArray(parameters.values.map { Optional($0) } + [nil])
    guard let connection = PQconnectdbParams(keywords.pointers, values.pointers, 1) else {
      throw PostgresError(
        sqlState: nil, message: "libpq could not allocate a connection", operation: operation,
        isConnectionLost: true)
    }
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = Self.connectionMessage(connection) ?? "the connection failed"
      PQfinish(connection)
      throw PostgresError(
        sqlState: nil, message: message, operation: operation, isConnectionLost: true)
    }
    PQsetNoticeProcessor(connection, { _, _ in }, nil)
    handle = connection
  }

  deinit { close() }

  /// `true` while libpq considers the connection healthy (`PQstatus == CONNECTION_OK`).
  ///
  /// This reflects the last command: it does not probe the server, so a server that died
  /// since is only noticed by the next command (which then throws with
  /// ``PostgresError/isConnectionLost``). `false` after ``close()``.
  public var isAlive: Bool {
    guard let handle else { return false }
    return PQstatus(handle) == CONNECTION_OK
  }

  /// Closes the connection (`PQfinish`); the server rolls back a transaction still open on it
  /// (prepared transactions survive). Idempotent; later commands throw with
  /// ``PostgresError/isConnectionLost``. Called by `deinit` too.
  public func close() {
    guard let handle else { return }
    self.handle = nil
    PQfinish(handle)
  }

  /// The open connection, or an error for `operation` when it was closed.
  func openHandle(for operation: String) throws(PostgresError) -> OpaquePointer {
    guard let handle else {
      throw PostgresError(
        sqlState: nil, message: "the connection was closed", operation: operation,
        isConnectionLost: true)
    }
    return handle
  }

  /// libpq's latest connection-level message, `nil` when empty.
  static func connectionMessage(_ handle: OpaquePointer) -> String? {
    PQerrorMessage(handle).flatMap { String(cString: $0).trimmedNativeMessage }
  }

  /// The error for a failed result: the server's SQLSTATE, message, DETAIL and HINT, or
  /// libpq's own message, with the connection's state at that moment.
  func failure(_ result: borrowing NativeResult, operation: String) -> PostgresError {
    var message =
      result.errorField(.primaryMessage) ?? result.errorMessage
      ?? handle.flatMap(Self.connectionMessage) ?? "libpq reported no message"
    if let detail = result.errorField(.detail) { message += "\nDETAIL: \(detail)" }
    if let hint = result.errorField(.hint) { message += "\nHINT: \(hint)" }
    return PostgresError(
      sqlState: result.errorField(.sqlState), message: message, operation: operation,
      isConnectionLost: !isAlive)
  }

  /// A client-side error for `operation`, with the connection's state at that moment.
  func failure(_ message: String, operation: String) -> PostgresError {
    PostgresError(sqlState: nil, message: message, operation: operation, isConnectionLost: !isAlive)
  }
}
