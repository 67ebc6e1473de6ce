import Dispatch
import Tributary

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Savepoints on signals for pipeline executables: `kill -USR1 PID` takes a
/// savepoint, `kill -USR2 PID` takes one and stops the job. The path is
/// printed ("savepoint N written to …"); restart with `--restore-from PATH`.
final class SavepointSignals: Sendable {
  static let shared = SavepointSignals()
  let control = SavepointControl()
  private let sources: UncheckedSources

  private init() {
    signal(SIGUSR1, SIG_IGN)
    signal(SIGUSR2, SIG_IGN)
    let control = self.control
    let savepoint = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
    savepoint.setEventHandler { control.requestSavepoint() }
    savepoint.resume()
    let stop = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: .global())
    stop.setEventHandler { control.requestStopWithSavepoint() }
    stop.resume()
    sources = UncheckedSources(values: [savepoint, stop])
  }
}

/// Keeps the signal sources alive for the process's lifetime.
private struct UncheckedSources: @unchecked Sendable {
  let values: [any DispatchSourceSignal]
}
