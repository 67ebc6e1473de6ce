import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a ``PostgresServer`` could not be set up, started or restarted; `description` holds the
/// command that failed, its output and the tail of the server's log.
public struct PostgresServerError: Error, CustomStringConvertible {
  public let description: String
}

/// A throwaway PostgreSQL server for tests: its own data directory under `/tmp`, listening on
/// a free loopback port (and a Unix socket in its directory), trusting every local login, with
/// `fsync` off (fast; a crash of the server alone still loses nothing, the OS has the data),
/// and a database `tributary`.
///
/// When the process runs as root the server runs as the unprivileged `postgres` user
/// (`initdb` and `pg_ctl` refuse root) through `runuser`; otherwise as the current user.
/// It uses no libpq, only the server binaries, so any test target can use it.
///
/// Thread-safe: `stop`, `kill` and `restart` are serialised. `deinit` stops the server and
/// removes its directory.
public final class PostgresServer: @unchecked Sendable {
  /// The TCP port on 127.0.0.1; the same across ``restart()``.
  public let port: Int
  /// The server's directory: `data/` (the cluster), `socket/`, `server.log`.
  public let directory: String
  /// The server's log file (pg_ctl's `-l`), for diagnosing a failing test.
  public var logFile: String { commands.logFile }

  /// A URL for ``port`` and the `tributary` database as the `postgres` superuser.
  public var url: String { "postgresql://postgres@127.0.0.1:\(port)/tributary" }

  private let commands: ServerCommands
  private let lock = NSLock()
  private var state: State

  private enum State {
    case running(postmaster: pid_t)
    case stopped
    case killed
  }

  private init(port: Int, directory: String, commands: ServerCommands, postmaster: pid_t) {
    self.port = port
    self.directory = directory
    self.commands = commands
    self.state = .running(postmaster: postmaster)
  }

  deinit {
    stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Creates a cluster, starts it and creates the database `tributary`; returns once the
  /// server accepts connections.
  ///
  /// - Parameter maxPreparedTransactions: the server's `max_prepared_transactions` (0
  ///   disables `PREPARE TRANSACTION`).
  /// - Throws: ``PostgresServerError`` saying which step failed, with the command's output
  ///   and the log's tail. Nothing is left running and the directory is removed.
  ///   - network: also listen on `network.address` and trust clients from
  ///     `network.clients` (CIDR), for clients in network namespaces; `nil`: loopback only.
  public static func start(
    maxPreparedTransactions: Int = 64, network: (address: String, clients: String)? = nil
  ) throws -> PostgresServer {
    let binaries = try ServerCommands.findBinaries()
    let directory = try ScratchDirectory.make()
    var server: PostgresServer?
    do {
      let commands = ServerCommands(
        binaries: binaries, directory: directory,
        maxPreparedTransactions: maxPreparedTransactions,
        listenAddresses: ["127.0.0.1"] + (network.map { [$0.address] } ?? []))
      try ScratchDirectory.makeServerOwned(commands.socketDirectory)
      try commands.initdb()
      if let network {
        let hba = commands.dataDirectory + "/pg_hba.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hba))
        handle.seekToEndOfFile()
        handle.write(Data("host all all \(network.clients) trust\n".utf8))
        try handle.close()
      }
      for attempt in 1... {
        let port = try FreePort.pick()
        do {
          let pid = try commands.start(port: port)
          server = PostgresServer(
            port: port, directory: directory, commands: commands, postmaster: pid)
          break
        } catch  where attempt < 5 && commands.logTail().contains("could not bind") {
          continue  // another process took the port between picking and binding: pick anew
        }
      }
      try commands.createDatabase("tributary", port: server!.port)
      return server!
    } catch {
      if server == nil { try? FileManager.default.removeItem(atPath: directory) }
      throw error  // a server already created stops and removes its directory in deinit
    }
  }

  /// Stops the server with `pg_ctl stop -m fast` (open connections are closed, open
  /// transactions rolled back, prepared ones kept). Idempotent; does nothing after
  /// ``kill()``. Falls back to ``kill()`` if the server does not stop in time.
  public func stop() {
    lock.withLock {
      guard case .running(let postmaster) = state else { return }
      if (try? commands.stop()) != nil {
        state = .stopped
      } else {
        commands.crash(postmaster: postmaster)
        state = .killed
      }
    }
  }

  /// Simulates a crash: SIGKILL to the postmaster and every process it started, as the OOM
  /// killer or `kill -9` would (the OS keeps what the server wrote, so even with fsync off
  /// nothing committed is lost). Connections break; the next ``restart()`` runs crash
  /// recovery. Does nothing when the server is not running.
  public func kill() {
    lock.withLock {
      guard case .running(let postmaster) = state else { return }
      commands.crash(postmaster: postmaster)
      state = .killed
    }
  }

  /// Starts the server again on the same port and data directory (stopping it first if it
  /// runs), after ``stop()`` or ``kill()``; returns once it accepts connections.
  ///
  /// - Throws: ``PostgresServerError`` with the log's tail (e.g. when another process took
  ///   the port meanwhile).
  public func restart() throws {
    try lock.withLock {
      if case .running = state {
        try commands.stop()
        state = .stopped
      }
      state = .running(postmaster: try commands.start(port: port))
    }
  }
}

/// The server binaries and the commands run on one server directory.
private struct ServerCommands {
  let binaries: String
  let directory: String
  let maxPreparedTransactions: Int
  var listenAddresses = ["127.0.0.1"]

  var dataDirectory: String { directory + "/data" }
  var socketDirectory: String { directory + "/socket" }
  var logFile: String { directory + "/server.log" }
  private var outputFile: String { directory + "/command.out" }

  /// The newest `/usr/lib/postgresql/N/bin` holding `initdb` and `pg_ctl`, else the first
  /// directory on `PATH` holding both.
  static func findBinaries() throws -> String {
    let root = "/usr/lib/postgresql"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    let candidates =
      versions.compactMap { name in Int(name).map { (version: $0, path: "\(root)/\(name)/bin") } }
      .sorted { $0.version > $1.version }.map(\.path)
      + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    for directory in candidates
    where ["initdb", "pg_ctl", "createdb"].allSatisfy({
      FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)")
    }) {
      return directory
    }
    throw PostgresServerError(
      description: "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin "
        + "or on PATH: install them with scripts/install-deps.sh (Debian package postgresql)")
  }

  func initdb() throws {
    try run(
      "initdb",
      ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
      step: "initdb")
  }

  /// Starts the postmaster (`pg_ctl start -w`) and returns its pid.
  func start(port: Int) throws -> pid_t {
    let options = [
      "-p \(port)", "-c listen_addresses=\(listenAddresses.joined(separator: ","))",
      "-k '\(socketDirectory)'",
      "-c max_prepared_transactions=\(maxPreparedTransactions)", "-c fsync=off",
      "-c full_page_writes=off",
    ].joined(separator: " ")
    do {
      try run(
        "pg_ctl", ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options],
        step: "pg_ctl start on port \(port)")
    } catch {
      try? run("pg_ctl", ["stop", "-D", dataDirectory, "-m", "immediate", "-w"], step: "cleanup")
      throw error
    }
    let pidFile = dataDirectory + "/postmaster.pid"
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let line = text.split(separator: "\n").first, let pid = pid_t(line)
    else {
      throw failure("pg_ctl start on port \(port)", "no pid in \(pidFile)", output: "")
    }
    return pid
  }

  func stop() throws {
    try run(
      "pg_ctl", ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "30"], step: "pg_ctl stop")
  }

  func createDatabase(_ name: String, port: Int) throws {
    try run(
      "createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name],
      step: "createdb \(name)")
  }

  /// SIGKILLs the postmaster and its children, waits until they are gone, then removes the
  /// lock files they left. The postmaster is stopped first so it cannot fork meanwhile.
  ///
  /// pg_ctl detaches the postmaster, so it is not this process's child and nothing here can
  /// reap it: until the init process does (seconds later in some containers), the killed
  /// postmaster is a zombie whose pid still looks alive to the next postmaster's lock-file
  /// check ("lock file postmaster.pid already exists"). Removing the lock files of
  /// verified-dead processes is what a reboot would do.
  func crash(postmaster: pid_t) {
    kill(postmaster, SIGSTOP)
    let victims = [postmaster] + ProcessTable.children(of: postmaster)
    for pid in victims { kill(pid, SIGKILL) }
    let deadline = ContinuousClock.now + .seconds(10)
    while victims.contains(where: ProcessTable.isRunning), ContinuousClock.now < deadline {
      Thread.sleep(forTimeInterval: 0.005)
    }
    let port = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8))
      .flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(3).first }
      .map(String.init)
    try? FileManager.default.removeItem(atPath: dataDirectory + "/postmaster.pid")
    if let port {
      try? FileManager.default.removeItem(atPath: "\(socketDirectory)/.s.PGSQL.\(port).lock")
    }
  }

  /// The last lines of the server log.
  func logTail(lines: Int = 30) -> String {
    let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
      .joined(separator: "\n")
  }

  /// Runs a server binary (as `postgres` through runuser when root), waits at most
  /// `timeout`, and throws with its output and the log's tail when it fails.
  private func run(_ tool: String, _ arguments: [String], step: String, timeout: Double = 90)
    throws
  {
    var executable = "\(binaries)/\(tool)"
    var argv = arguments
    if geteuid() == 0 {
      argv = ["-u", "postgres", "--", executable] + arguments
      executable = try Self.runuser()
    }
    let outcome = ChildProcess.run(
      executable, argv, environment: Self.environment, directory: directory,
      output: outputFile, timeout: timeout)
    switch outcome {
    case .exited(0):
      return
    case .exited(let status):
      throw failure(step, "exit status \(status)", output: readOutput())
    case .killed(let signal):
      throw failure(step, "killed by signal \(signal)", output: readOutput())
    case .timedOut:
      throw failure(step, "timed out after \(Int(timeout)) s", output: readOutput())
    case .notStarted(let reason):
      throw failure(step, "cannot run \(executable): \(reason)", output: "")
    }
  }

  private func readOutput() -> String {
    (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
  }

  private func failure(_ step: String, _ reason: String, output: String) -> PostgresServerError {
    var text = "PostgreSQL test server: \(step) failed (\(reason)) in \(directory)"
    if !output.isEmpty { text += "\n--- output:\n\(output)" }
    let log = logTail()
    if !log.isEmpty { text += "\n--- tail of \(logFile):\n\(log)" }
    return PostgresServerError(description: text)
  }

  /// The environment of every command: the caller's minus libpq's `PG*` variables (which
  /// would redirect createdb), in the C locale (initdb then needs no system locales).
  private static let environment: [String: String] = {
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    environment["LC_ALL"] = "C"
    environment["LANG"] = "C"
    environment["PGCONNECT_TIMEOUT"] = "10"
    return environment
  }()

  private static func runuser() throws -> String {
    let candidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
    guard let path = candidates.first(where: FileManager.default.isExecutableFile) else {
      throw PostgresServerError(
        description: "running as root needs runuser (util-linux) to start PostgreSQL as user "
          + "postgres, and none of \(candidates) exists")
    }
    return path
  }
}

/// The server's directory under `/tmp` (which the `postgres` user can traverse, unlike a
/// root-only `TMPDIR`).
private enum ScratchDirectory {
  /// A new directory `/tmp/tributary-postgres-XXXXXX`, mode 0755, owned by the user the
  /// server runs as.
  static func make() throws -> String {
    var template = Array("/tmp/tributary-postgres-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
      throw PostgresServerError(
        description: "cannot create a directory under /tmp: \(String(cString: strerror(errno)))")
    }
    let path = String(cString: made)
    do {
      try makeServerOwned(path, create: false)
    } catch {
      try? FileManager.default.removeItem(atPath: path)
      throw error
    }
    return path
  }

  /// Creates `path` (unless `create` is false), mode 0755, and when root hands it to the
  /// `postgres` user.
  static func makeServerOwned(_ path: String, create: Bool = true) throws {
    if create {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
    chmod(path, 0o755)
    guard geteuid() == 0 else { return }
    guard let user = getpwnam("postgres") else {
      throw PostgresServerError(
        description: "running as root needs a user 'postgres' to run PostgreSQL (the Debian "
          + "package postgresql creates it)")
    }
    guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
      throw PostgresServerError(
        description: "cannot hand \(path) to user postgres: \(String(cString: strerror(errno)))")
    }
  }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
private enum FreePort {
  static func pick() throws -> Int {
    #if os(Linux)
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw error("socket") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        bind(descriptor, socketAddress, length) == 0
          && getsockname(descriptor, socketAddress, &length) == 0
      }
    }
    guard bound else { throw error("bind") }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  private static func error(_ call: String) -> PostgresServerError {
    PostgresServerError(
      description: "cannot pick a free port on 127.0.0.1 (\(call)): "
        + String(cString: strerror(errno)))
  }
}

/// Reads `/proc` to find a process's children and whether a process still runs.
private enum ProcessTable {
  /// The pids whose parent is `parent`.
  static func children(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).filter { status($0)?.parent == parent }
  }

  /// `false` once the process is gone or a zombie (dead, only not reaped).
  static func isRunning(_ pid: pid_t) -> Bool {
    guard let state = status(pid)?.state else { return false }
    return state != "Z" && state != "X"
  }

  /// State letter and parent pid from `/proc/PID/stat` ("pid (comm) S ppid …"; comm may
  /// hold spaces and parentheses, so parse after the last ')').
  private static func status(_ pid: pid_t) -> (state: Character, parent: pid_t)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else {
      return nil
    }
    return (state, parent)
  }
}

/// Runs a command to completion with stdin from /dev/null and stdout and stderr into a file.
///
/// On Linux it spawns with `posix_spawn` and closes every inherited descriptor above 2:
/// Foundation's `Process` there learns of the child's exit from a socket the child inherits,
/// and `pg_ctl start` leaves the postmaster (which inherits that socket too) running, so
/// `Process` would wait for the server's exit instead of pg_ctl's.
private enum ChildProcess {
  enum Outcome {
    case exited(Int32)
    case killed(signal: Int32)
    case timedOut
    case notStarted(String)
  }

  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String],
    directory: String, output: String, timeout: Double
  ) -> Outcome {
    #if os(Linux)
      spawn(executable, arguments, environment, directory, output, timeout)
    #else
      foundationProcess(executable, arguments, environment, directory, output, timeout)
    #endif
  }

  #if os(Linux)
    private typealias CloseFrom =
      @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir =
      @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>)
      -> Int32

    /// glibc's `_np` spawn actions (2.34, 2.29), which Swift's Glibc module does not declare.
    private static func glibcFunction<Function>(_ name: String, as: Function.Type) -> Function? {
      dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map {
        unsafeBitCast($0, to: Function.self)
      }
    }

    private static func spawn(
      _ executable: String, _ arguments: [String], _ environment: [String: String],
      _ directory: String, _ output: String, _ timeout: Double
    ) -> Outcome {
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
      if let closeFrom = glibcFunction(
        "posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)
      {
        _ = closeFrom(&actions, 3)
      } else {
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
          posix_spawn_file_actions_addclose(&actions, descriptor)
        }
      }
      if let chdir = glibcFunction("posix_spawn_file_actions_addchdir_np", as: AddChdir.self) {
        _ = chdir(&actions, directory)
      }

      // Threads of this process may block or ignore signals; the server must not inherit that.
      var attributes = posix_spawnattr_t()
      posix_spawnattr_init(&attributes)
      defer { posix_spawnattr_destroy(&attributes) }
      var signals = sigset_t()
      sigemptyset(&signals)
      posix_spawnattr_setsigmask(&attributes, &signals)
      sigfillset(&signals)
      sigdelset(&signals, SIGKILL)
      sigdelset(&signals, SIGSTOP)
      posix_spawnattr_setsigdefault(&attributes, &signals)
      posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

      let argv = ([executable] + arguments).map { strdup($0) } + [nil]
      let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
      defer { for pointer in argv + envp { free(pointer) } }
      var pid: pid_t = 0
      let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
      guard spawned == 0 else { return .notStarted(String(cString: strerror(spawned))) }

      let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1_000))
      var status: Int32 = 0
      while waitpid(pid, &status, WNOHANG) == 0 {
        guard ContinuousClock.now < deadline else {
          kill(pid, SIGKILL)
          _ = waitpid(pid, &status, 0)
          return .timedOut
        }
        usleep(5_000)
      }
      let signal = status & 0x7f
      return signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
    }
  #else
    private static func foundationProcess(
      _ executable: String, _ arguments: [String], _ environment: [String: String],
      _ directory: String, _ output: String, _ timeout: Double
    ) -> Outcome {
      _ = FileManager.default.createFile(atPath: output, contents: nil)
      guard let handle = FileHandle(forWritingAtPath: output) else {
        return .notStarted("cannot write \(output)")
      }
      defer { try? handle.close() }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      process.currentDirectoryURL = URL(fileURLWithPath: directory)
      process.environment = environment
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = handle
      process.standardError = handle
      let finished = DispatchSemaphore(value: 0)
      process.terminationHandler = { _ in finished.signal() }
      do { try process.run() } catch { return .notStarted("\(error)") }
      if finished.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        finished.wait()
        return .timedOut
      }
      return process.terminationReason == .exit
        ? .exited(process.terminationStatus) : .killed(signal: process.terminationStatus)
    }
  #endif
}
