import Foundation
import TestServers
import Testing

/// The setting of a test that runs `windowed-counts` processes against real
/// servers: the built executable, a nats-server holding the test's input,
/// PostgreSQL when the test writes there, and a temporary directory.
/// ``stop()`` stops the servers and removes the directory; a failure while
/// setting up leaves nothing running either.
struct WindowedCountsTestbed {
  let binary: String
  let nats: NATSServer
  let postgres: PostgresServer?
  let root: URL

  /// Checkpoints of the processes go here.
  var checkpoints: URL { root.appendingPathComponent("checkpoints") }

  /// Starts the servers (`startNATS`, then `startPostgres` if given), runs
  /// `publish` against nats-server and makes a temporary directory named
  /// after `name`. Returns `nil`, with an issue recorded, when
  /// `windowed-counts` is not built.
  static func start(
    _ name: String,
    nats startNATS: () throws -> NATSServer = { try NATSServer.start() },
    postgres startPostgres: (() throws -> PostgresServer)? = nil,
    publish: (NATSServer) throws -> Void
  ) throws -> WindowedCountsTestbed? {
    guard let binary = builtExecutable("windowed-counts") else {
      Issue.record("windowed-counts is not built; run `swift build` first")
      return nil
    }
    let nats = try startNATS()
    var postgres: PostgresServer?
    do {
      postgres = try startPostgres?()
      try publish(nats)
      let root = try temporaryDirectory(name)
      return WindowedCountsTestbed(binary: binary, nats: nats, postgres: postgres, root: root)
    } catch {
      postgres?.stop()
      nats.stop()
      throw error
    }
  }

  /// Stops the servers and removes the directory.
  func stop() {
    postgres?.stop()
    nats.stop()
    try? FileManager.default.removeItem(at: root)
  }
}
