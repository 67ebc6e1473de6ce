import Foundation
import Hummingbird
import Synchronization
import Tributary

/// The routes of the monitoring server: the dashboard page, the Prometheus
/// exposition and the REST API (see docs/operations.md).
///
/// Reads go to the ``JobMonitor`` and never block the job; savepoint and
/// stop requests wait until the savepoint is durable (or fails), however long
/// that takes, without holding anything the job needs.
struct JobRoutes: Sendable {
  let monitor: JobMonitor
  let metrics: PrometheusMetrics
  /// Lets one savepoint request of the API run at a time.
  let savepointInFlight = SavepointGate()

  /// Paths and the one method each accepts (others get 405).
  static let endpoints: [(path: String, method: HTTPRequest.Method)] = [
    ("/", .get), ("/metrics", .get), ("/api/v1/job", .get), ("/api/v1/checkpoints", .get),
    ("/api/v1/checkpoints/{id}", .get), ("/api/v1/exceptions", .get), ("/api/v1/config", .get),
    ("/api/v1/throughput", .get), ("/api/v1/openapi.json", .get),
    ("/api/v1/savepoints", .post), ("/api/v1/stop", .post),
  ]

  /// A router serving every endpoint, with JSON errors.
  func router() -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: JSONErrorMiddleware())
    router.get("/") { _, _ in dashboard() }
    router.get("/metrics") { _, _ in prometheus() }
    router.get("/api/v1/job") { _, _ in JSONResponse.make(monitor.status) }
    router.get("/api/v1/checkpoints") { _, _ in JSONResponse.make(monitor.checkpoints) }
    router.get("/api/v1/checkpoints/{id}") { _, context in
      try checkpoint(context.parameters.get("id") ?? "")
    }
    router.get("/api/v1/exceptions") { _, _ in
      JSONResponse.make(ExceptionsBody(exceptions: monitor.exceptions))
    }
    router.get("/api/v1/config") { _, _ in try configuration() }
    router.get("/api/v1/throughput") { _, _ in JSONResponse.make(monitor.throughput) }
    router.get("/api/v1/openapi.json") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    router.post("/api/v1/savepoints") { _, _ in try await savepoint(stop: false) }
    router.post("/api/v1/stop") { _, _ in try await savepoint(stop: true) }
    let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
    for endpoint in Self.endpoints {
      for method in methods where method != endpoint.method {
        let allowed = endpoint.method
        router.on(RouterPath(endpoint.path), method: method) { request, _ -> Response in
          var response = APIError(
            status: .methodNotAllowed,
            message: "\(request.method) is not allowed on \(request.uri.path)",
            hint: "use \(allowed) \(request.uri.path)"
          ).response
          response.headers[.allow] = allowed.rawValue
          return response
        }
      }
    }
    return router
  }

  /// The body of `GET /api/v1/exceptions`.
  struct ExceptionsBody: Encodable {
    let exceptions: [ExceptionEntry]
  }

  /// The dashboard page (``DashboardPage``), never cached so that a new
  /// build's page replaces the old one.
  private func dashboard() -> Response {
    Response(
      status: .ok,
      headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
      body: .init(byteBuffer: DashboardPage.bytes))
  }

  private func prometheus() -> Response {
    Response(
      status: .ok,
      headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
  }

  private func checkpoint(_ text: String) throws -> Response {
    guard let id = Int64(text), id > 0 else {
      throw APIError(
        status: .badRequest, message: "'\(text)' is not a checkpoint id",
        hint: "checkpoint ids are positive integers, as GET /api/v1/checkpoints lists them")
    }
    guard let detail = monitor.checkpoint(id: id) else {
      throw APIError(
        status: .notFound, message: "checkpoint \(id) is not in the history",
        hint: "GET /api/v1/checkpoints lists the last \(JobMonitor.historySize) checkpoints")
    }
    return JSONResponse.make(detail)
  }

  private func configuration() throws -> Response {
    guard let configuration = monitor.configuration else {
      throw APIError(
        status: .serviceUnavailable, message: "the job has not started yet",
        hint: "ask again in a moment")
    }
    return JSONResponse.make(configuration)
  }

  /// Takes a savepoint (and stops the job after it when `stop`), answering
  /// `{"id", "path"}` once it is durable.
  private func savepoint(stop: Bool) async throws -> Response {
    let status = monitor.status
    guard status.state != .created else {
      throw APIError(
        status: .serviceUnavailable, message: "the job has not started yet",
        hint: "ask again in a moment")
    }
    guard !status.state.isTerminal else {
      throw APIError(
        status: .conflict, message: "the job is \(status.state.rawValue)",
        hint: "savepoints need a running job; start it again with --restore-from")
    }
    guard status.state != .restarting else {
      throw APIError(
        status: .serviceUnavailable, message: "the job is restarting after a failure",
        hint: "ask again once GET /api/v1/job reports RUNNING")
    }
    guard status.checkpointing, let control = monitor.savepoints else {
      throw APIError(
        status: .conflict, message: "checkpointing is off, so there are no savepoints",
        hint: "run the job with --checkpoint-dir DIR")
    }
    guard savepointInFlight.enter() else {
      throw APIError(
        status: .conflict, message: "a savepoint is already being taken",
        hint: "wait for it to finish, then ask again")
    }
    defer { savepointInFlight.leave() }
    do {
      return JSONResponse.make(try await control.triggerSavepoint(stopAfter: stop))
    } catch let error as SavepointError {
      switch error {
      case .jobEnded:
        throw APIError(
          status: .conflict, message: error.description,
          hint: "the job is no longer running; see GET /api/v1/job")
      case .failed:
        throw APIError(
          status: .internalServerError, message: error.description,
          hint: "see GET /api/v1/checkpoints for the reason; the job goes on")
      }
    }
  }
}

/// Admits one savepoint request at a time. Thread-safe.
final class SavepointGate: Sendable {
  private let busy = Mutex(false)

  /// Whether the caller may go ahead (then it must call ``leave()``).
  func enter() -> Bool {
    busy.withLock { busy in
      if busy { return false }
      busy = true
      return true
    }
  }

  /// The request that entered is done.
  func leave() { busy.withLock { $0 = false } }
}
