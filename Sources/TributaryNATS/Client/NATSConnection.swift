import CNATS

/// A connection to one NATS server, reconnecting automatically after it is lost.
///
/// Thread-safety: every member may be called from any thread at the same time (nats.c
/// connections are internally locked). While the server is away, nats.c buffers outgoing
/// data (up to its 8 MB reconnect buffer) and retries every `reconnectWait`, `maxReconnects`
/// times (-1: forever); subscriptions are re-established after a reconnect.
///
/// Lifetime: `close()` ends the connection for good; the native handle is destroyed when the
/// last reference (including those held by `JetStream` objects) goes away.
public final class NATSConnection: @unchecked Sendable {
  /// The nats.c connection; valid until `deinit`.
  let handle: OpaquePointer

  /// The URL this connection was opened with.
  public let url: String

  /// Connects to `url` (e.g. "nats://127.0.0.1:4222"), waiting at most `connectTimeout` for the
  /// server. Fails with `NATSError.connectionFailed` when no server answers (it does not
  /// retry the first connect); later losses of the connection are retried as configured.
  public init(
    url: String, connectTimeout: Duration = .seconds(2),
    reconnectWait: Duration = .milliseconds(250), maxReconnects: Int = -1
  ) throws(NATSError) {
    try NATSLibrary.open()
    var options: OpaquePointer?
    try NATSStatus.check(natsOptions_Create(&options), operation: "create connection options")
    defer { natsOptions_Destroy(options) }
    let configure = "configure connection options"
    try NATSStatus.check(natsOptions_SetURL(options, url), operation: configure)
    try NATSStatus.check(
      natsOptions_SetTimeout(options, connectTimeout.natsMilliseconds), operation: configure)
    try NATSStatus.check(natsOptions_SetAllowReconnect(options, true), operation: configure)
    try NATSStatus.check(
      natsOptions_SetReconnectWait(options, reconnectWait.natsMilliseconds), operation: configure)
    let attempts = maxReconnects < 0 ? -1 : Int32(clamping: maxReconnects)
    try NATSStatus.check(natsOptions_SetMaxReconnect(options, attempts), operation: configure)

    var connection: OpaquePointer?
    let status = natsConnection_Connect(&connection, options)
    guard status == NATS_OK, let connection else {
      let reason = NATSStatus.text(status)
      natsConnection_Destroy(connection)
      throw .connectionFailed(url: url, reason: reason)
    }
    self.handle = connection
    self.url = url
  }

  deinit {
    natsConnection_Destroy(handle)
  }

  /// Whether the connection is currently established (not connecting, reconnecting, draining
  /// or closed). A snapshot: it may change right after it is read.
  public var isConnected: Bool {
    natsConnection_Status(handle) == NATS_CONN_STATUS_CONNECTED
  }

  /// How many times nats.c re-established the connection so far (0 if it never dropped).
  var reconnectCount: UInt64 {
    var statistics: OpaquePointer?
    guard natsStatistics_Create(&statistics) == NATS_OK else { return 0 }
    defer { natsStatistics_Destroy(statistics) }
    var reconnects: UInt64 = 0
    guard natsConnection_GetStats(handle, statistics) == NATS_OK,
      natsStatistics_GetCounts(statistics, nil, nil, nil, nil, &reconnects) == NATS_OK
    else { return 0 }
    return reconnects
  }

  /// Closes the connection: pending subscriptions end, later calls fail with a "connection
  /// closed" `NATSError.status`. Idempotent; safe to call from any thread.
  public func close() {
    natsConnection_Close(handle)
  }

  /// Sends everything buffered and waits until the server has processed it (a PING/PONG round
  /// trip), at most `timeout`. Throws `.timeout` when the server does not answer in time.
  public func flush(timeout: Duration) throws(NATSError) {
    try NATSStatus.check(
      natsConnection_FlushTimeout(handle, timeout.natsMilliseconds), operation: "flush")
  }
}
