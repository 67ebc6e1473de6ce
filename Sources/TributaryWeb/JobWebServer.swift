import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Tributary

/// The monitoring web server of one job: the dashboard at `GET /`,
/// `GET /metrics` (Prometheus) and the REST API under `/api/v1`.
///
/// It runs beside the job on its own tasks and event loop; it only reads the
/// ``JobMonitor`` and posts savepoint requests, so a slow or failing client
/// never stops the job, and the job ending (finished or failed) leaves it
/// serving the final state until ``stop()``. Thread-safe.
public final class JobWebServer: Sendable {
  /// Why the server did not start.
  public struct StartError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the address.
    public let description: String
  }

  private let host: String
  private let port: Int
  private let routes: JobRoutes
  private let logger: Logger
  private struct Running: Sendable {
    let group: ServiceGroup
    let task: Task<Void, any Error>
  }
  private let running = Mutex<Running?>(nil)

  /// A server for `monitor` on `host:port` (port 0 picks a free one; see
  /// ``start()``), exporting `metrics`.
  public init(
    monitor: JobMonitor, metrics: PrometheusMetrics, host: String = "127.0.0.1", port: Int,
    logger: Logger = Logger(label: "tributary.web")
  ) {
    self.host = host
    self.port = port
    self.routes = JobRoutes(monitor: monitor, metrics: metrics)
    self.logger = logger
  }

  /// Starts serving and returns the bound port once the socket listens.
  /// - Throws: ``StartError`` when the address cannot be bound (in use, bad host).
  public func start() async throws -> Int {
    let (bound, boundContinuation) = AsyncStream.makeStream(of: Int.self)
    var serverLogger = logger
    serverLogger.logLevel = max(logger.logLevel, .warning)
    let app = Application(
      router: routes.router(),
      configuration: .init(address: .hostname(host, port: port), serverName: "tributary"),
      onServerRunning: { channel in
        boundContinuation.yield(channel.localAddress?.port ?? -1)
        boundContinuation.finish()
      },
      logger: serverLogger)
    let group = ServiceGroup(
      configuration: .init(services: [app], gracefulShutdownSignals: [], logger: serverLogger))
    let task = Task {
      defer { boundContinuation.finish() }
      try await group.run()
    }
    var iterator = bound.makeAsyncIterator()
    guard let port = await iterator.next(), port >= 0 else {
      let failure: String
      do {
        try await task.value
        failure = "the server stopped before listening"
      } catch {
        failure = "\(error)"
      }
      throw StartError(
        description: "cannot serve on \(host):\(port) (\(failure)); choose another --web-port")
    }
    running.withLock { $0 = Running(group: group, task: task) }
    let base = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
    logger.info(
      "dashboard at \(base)/ (REST API at \(base)/api/v1, metrics at \(base)/metrics)",
      metadata: ["port": "\(port)"])
    return port
  }

  /// Stops accepting connections, lets requests in flight finish, and returns
  /// once the server is down. Does nothing if it is not running.
  public func stop() async {
    guard
      let server = running.withLock({ s -> Running? in
        defer { s = nil }
        return s
      })
    else {
      return
    }
    await server.group.triggerGracefulShutdown()
    _ = try? await server.task.value
  }
}
