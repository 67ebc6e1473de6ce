import CNATS

/// JetStream (persistent streams) over one `NATSConnection`.
///
/// Thread-safety: every member may be called from any thread at the same time; nats.c's
/// JetStream contexts are internally locked. `publishAll(_:)` calls on one `JetStream` run one
/// after another (each waits for its own acknowledgements); use one `JetStream` per thread to
/// publish in parallel.
///
/// Failures: every call reports failure by throwing `NATSError`; none retries on its own
/// except that nats.c resends buffered data after a reconnect. A `JetStream` keeps its
/// connection alive; closing the connection makes later calls fail.
public final class JetStream: @unchecked Sendable {
  /// The connection this JetStream context talks over.
  public let connection: NATSConnection
  /// How long each JetStream API request (and publish acknowledgement) may take.
  public let timeout: Duration
  /// The nats.c context for requests and synchronous publishes.
  let context: OpaquePointer
  /// The separate context (with its acknowledgement callback) `publishAll` uses.
  let asyncPublisher: AsyncPublisher

  /// Creates a JetStream context on `connection`; API requests wait at most `timeout` for the
  /// server's answer. Does not contact the server (a server without JetStream fails later
  /// calls with `.timeout` or a `.status` "no responders").
  public init(_ connection: NATSConnection, timeout: Duration = .seconds(5)) throws(NATSError) {
    var options = jsOptions()
    try NATSStatus.check(jsOptions_Init(&options), operation: "initialise JetStream options")
    options.Wait = timeout.natsMilliseconds
    var context: OpaquePointer?
    try NATSStatus.check(
      natsConnection_JetStream(&context, connection.handle, &options),
      operation: "create JetStream context")
    guard let context else {
      throw .status(
        operation: "create JetStream context", code: Int(NATS_ERR.rawValue),
        text: "nats.c returned no context")
    }
    do throws(NATSError) {
      self.asyncPublisher = try AsyncPublisher(connection: connection, timeout: timeout)
    } catch {
      jsCtx_Destroy(context)
      throw error
    }
    self.connection = connection
    self.timeout = timeout
    self.context = context
  }

  deinit {
    jsCtx_Destroy(context)
  }

  /// nats.c's JetStream options for one request: the context's timeout, nothing else.
  func requestOptions() -> jsOptions {
    var options = jsOptions()
    jsOptions_Init(&options)
    options.Wait = timeout.natsMilliseconds
    return options
  }
}
