import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs `job` until it finishes, or until the process receives SIGINT or
/// SIGTERM, which cancel it (the engine then stops every task and closes every
/// sink before `job` returns).
/// - Returns: `true` when the job finished by itself, `false` when a signal stopped it.
/// - Throws: whatever `job` throws, except the cancellation caused by a signal.
public func runUntilSignalled(_ job: @escaping @Sendable () async throws -> Void) async throws
  -> Bool
{
  let task = Task { try await job() }
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let sources = [SIGINT, SIGTERM].map { number in
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler { task.cancel() }
    source.resume()
    return source
  }
  defer {
    for source in sources { source.cancel() }
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }
  do {
    try await task.value
    return true
  } catch is CancellationError where task.isCancelled {
    return false
  }
}
