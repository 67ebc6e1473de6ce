import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A real `nats-server` with JetStream, run as a child process on a free loopback port with
/// its own temporary storage directory, for tests.
///
/// Thread-safety: all members may be called from any thread; start, stop, kill and restart
/// are serialised. `deinit` stops the server and deletes the storage directory.
public final class NATSServer: @unchecked Sendable {
  /// The TCP port the server listens on (127.0.0.1), kept across restarts.
  public let port: Int
  /// The JetStream storage directory (`-sd`), kept across restarts.
  public let storageDirectory: URL
  /// "nats://127.0.0.1:PORT".
  public var url: String { "nats://127.0.0.1:\(port)" }

  private let executable: URL
  /// The address the server listens on (`127.0.0.1`, or `0.0.0.0` to be reachable
  /// from network namespaces too); clients here still use ``url``.
  private let listenAddress: String
  private let logFile: URL
  private let lock = NSLock()
  private var process: Process?

  /// How long `start()` and `restart()` wait for the port to accept connections.
  public static let startupTimeout: Duration = .seconds(10)

  private init(executable: URL, port: Int, directory: URL, listenAddress: String = "127.0.0.1") {
    self.listenAddress = listenAddress
    self.executable = executable
    self.port = port
    self.storageDirectory = directory.appendingPathComponent("jetstream")
    self.logFile = directory.appendingPathComponent("nats-server.log")
  }

  /// Starts a server: finds `nats-server` (PATH, /usr/bin, /usr/sbin, /usr/local/bin), picks
  /// a free loopback port, creates a temporary directory, runs
  /// `nats-server -js -a 127.0.0.1 -p PORT -sd DIR` and waits until the port accepts
  /// connections. Throws `NATSServerError` (with the server's output) otherwise.
  ///
  /// Ready means that this server itself logged that it listens on the port: a free port can
  /// be taken by a server another test starts at the same moment, and a connection to that
  /// one must not pass for ours. When the port was taken, another port is tried.
  public static func start(listenAddress: String = "127.0.0.1") throws -> NATSServer {
    let executable = try findExecutable()
    var attempt = 0
    while true {
      attempt += 1
      let port = try freeLoopbackPort()
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("tributary-nats-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      let server = NATSServer(
        executable: executable, port: port, directory: directory, listenAddress: listenAddress)
      do {
        try server.launch()
        return server
      } catch let error as NATSServerError where attempt < 5 && error.portTaken {
        continue
      }
    }
  }

  deinit {
    stop()
    try? FileManager.default.removeItem(at: storageDirectory.deletingLastPathComponent())
  }

  /// Stops the server gracefully (SIGTERM), waiting until it exited (SIGKILL after 10 s).
  /// Idempotent.
  public func stop() {
    lock.withLock { terminate(signal: SIGTERM) }
  }

  /// Kills the server at once (SIGKILL), as a crash would, and waits until it is gone.
  /// Idempotent.
  public func kill() {
    lock.withLock { terminate(signal: SIGKILL) }
  }

  /// Sends `signal` to the server process when it runs (nothing otherwise): SIGSTOP and
  /// SIGCONT starve it of CPU as a loaded machine does.
  public func signal(_ signal: Int32) {
    lock.withLock {
      guard let process, process.isRunning else { return }
      sendSignal(signal, to: process.processIdentifier)
    }
  }

  /// Starts the server again on the same port and storage directory (JetStream data survives)
  /// after stopping it if it still runs.
  public func restart() throws {
    try lock.withLock {
      terminate(signal: SIGTERM)
      try launchLocked()
    }
  }

  /// The server's combined output so far (its log).
  public var output: String {
    (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
  }

  private func launch() throws {
    try lock.withLock { try launchLocked() }
  }

  /// How many times the log says the server listens for clients on its port.
  private var listening: Int {
    output.components(separatedBy: "Listening for client connections on \(listenAddress):\(port)")
      .count - 1
  }

  private func launchLocked() throws {
    let listeningBefore = listening
    let process = Process()
    process.executableURL = executable
    process.arguments = [
      "-js", "-a", listenAddress, "-p", String(port), "-sd", storageDirectory.path,
    ]
    if !FileManager.default.fileExists(atPath: logFile.path) {
      _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
    }
    let log = try FileHandle(forWritingTo: logFile)
    log.seekToEndOfFile()
    process.standardOutput = log
    process.standardError = log
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      try? log.close()
      throw NATSServerError(
        message: "cannot run \(executable.path): \(error)", output: output)
    }
    try? log.close()
    self.process = process
    LiveServers.shared.add(process.processIdentifier)
    let deadline = ContinuousClock.now.advanced(by: Self.startupTimeout)
    while ContinuousClock.now < deadline {
      if !process.isRunning {
        self.process = nil
        LiveServers.shared.remove(process.processIdentifier)
        throw NATSServerError(
          message: "nats-server exited with status \(process.terminationStatus) "
            + "before accepting connections on port \(port)",
          output: output, portTaken: output.contains("address already in use"))
      }
      if listening > listeningBefore && Self.acceptsConnections(port: port) { return }
      usleep(20_000)
    }
    terminate(signal: SIGKILL)
    throw NATSServerError(
      message: "nats-server did not accept connections on 127.0.0.1:\(port) within "
        + "\(Self.startupTimeout)",
      output: output)
  }

  /// Sends `signal` to the running server and waits until it exited.
  private func terminate(signal: Int32) {
    guard let process else { return }
    self.process = nil
    defer { LiveServers.shared.remove(process.processIdentifier) }
    guard process.isRunning else { return }
    sendSignal(signal, to: process.processIdentifier)
    let deadline = ContinuousClock.now.advanced(by: .seconds(10))
    while process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
    if process.isRunning {
      sendSignal(SIGKILL, to: process.processIdentifier)
    }
    process.waitUntilExit()
  }

  private static func findExecutable() throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories =
      path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
    for directory in directories where !directory.isEmpty {
      let candidate = URL(fileURLWithPath: directory).appendingPathComponent("nats-server")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw NATSServerError(
      message: "nats-server not found in PATH, /usr/bin, /usr/sbin or /usr/local/bin; "
        + "install it with scripts/install-deps.sh (Debian package nats-server)",
      output: "")
  }

  /// A port the kernel considers free on 127.0.0.1 (bind port 0, read the port, close).
  private static func freeLoopbackPort() throws -> Int {
    let socketFD = socket(AF_INET, streamSocketType, 0)
    guard socketFD >= 0 else {
      throw NATSServerError(message: "socket() failed: errno \(errno)", output: "")
    }
    defer { close(socketFD) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0 else {
      throw NATSServerError(message: "bind(127.0.0.1:0) failed: errno \(errno)", output: "")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        getsockname(socketFD, $0, &length)
      }
    }
    guard named == 0 else {
      throw NATSServerError(message: "getsockname failed: errno \(errno)", output: "")
    }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  /// Whether a TCP connection to 127.0.0.1:`port` succeeds right now.
  private static func acceptsConnections(port: Int) -> Bool {
    let socketFD = socket(AF_INET, streamSocketType, 0)
    guard socketFD >= 0 else { return false }
    defer { close(socketFD) }
    var address = loopbackAddress(port: UInt16(port))
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    return connected == 0
  }

  private static func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
  }
}

/// The process ids of running test servers, killed when the test process exits (servers are
/// separate processes and would otherwise outlive a test run that never deinitialised them).
private final class LiveServers: @unchecked Sendable {
  static let shared = LiveServers()

  private let lock = NSLock()
  private var pids: Set<Int32> = []

  private init() {
    atexit {
      LiveServers.shared.killAll()
    }
  }

  func add(_ pid: Int32) {
    lock.withLock { _ = pids.insert(pid) }
  }

  func remove(_ pid: Int32) {
    lock.withLock { _ = pids.remove(pid) }
  }

  private func killAll() {
    let running = lock.withLock { pids }
    for pid in running { sendSignal(SIGKILL, to: pid) }
  }
}

/// `SOCK_STREAM` as `socket()` takes it on this platform.
#if os(Linux)
  private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#else
  private let streamSocketType = SOCK_STREAM
#endif

/// Sends `signal` to process `pid` (free function: `NATSServer.kill()` shadows `kill`).
private func sendSignal(_ signal: Int32, to pid: Int32) {
  _ = kill(pid, signal)
}

/// Why a test NATS server could not be started, with what the server printed.
public struct NATSServerError: Error, CustomStringConvertible {
  /// What went wrong.
  public let message: String
  /// The server's output (log), possibly empty.
  public let output: String
  /// Whether the server could not bind its port (another process took it first).
  public var portTaken = false

  public var description: String {
    output.isEmpty ? message : "\(message)\nnats-server output:\n\(output)"
  }
}
