import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Headless Chromium (Debian `chromium`, installed by `scripts/install-deps.sh`)
/// for the dashboard's tests: one-shot `--dump-dom` and `--screenshot` runs,
/// and a session driven over the DevTools protocol for real clicks.
///
/// Every run has a time limit and a throwaway profile directory, and its
/// process group is killed when it ends, whatever happens.
enum Chromium {
  /// The executable, if installed.
  static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// Why the browser tests cannot run, if they cannot.
  static var missing: String? {
    executable == nil
      ? "chromium is not installed: run scripts/install-deps.sh (apt-get install chromium)" : nil
  }

  /// Headless, no sandbox (tests run as root), no GPU, a throwaway profile,
  /// and a `windowSize` window ("width,height").
  static func arguments(profile: URL, windowSize: String) -> [String] {
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
      "--hide-scrollbars", "--user-data-dir=\(profile.path)", "--window-size=\(windowSize)",
    ]
  }

  /// Runs Chromium on `url` with `extra` arguments until it exits (at most
  /// `timeout` seconds, then it is killed), returning its standard output.
  static func run(
    _ url: String, profile: URL, windowSize: String = "1280,800", _ extra: [String],
    timeout: Double = 90
  ) async throws -> String {
    let browser = try BrowserProcess(
      arguments: arguments(profile: profile, windowSize: windowSize) + extra + [url],
      devTools: false)
    defer { browser.kill() }
    let output = await browser.output(timeout: timeout)
    defer { try? FileManager.default.removeItem(at: profile) }
    return output
  }

  /// The page's DOM after `budgetMillis` of virtual time (its refreshes run).
  static func dumpDOM(_ url: String, profile: URL, budgetMillis: Int = 3000) async throws -> String
  {
    try await run(url, profile: profile, ["--virtual-time-budget=\(budgetMillis)", "--dump-dom"])
  }

  /// Saves a screenshot of `url` to `png` (a window of `windowSize` pixels).
  static func screenshot(
    _ url: String, profile: URL, to png: URL, windowSize: String = "1280,800"
  ) async throws {
    _ = try await run(
      url, profile: profile, windowSize: windowSize,
      ["--virtual-time-budget=3000", "--screenshot=\(png.path)"])
  }
}

/// A Chromium process, spawned in its own process group so that ``kill()``
/// ends it and every process it started (zygote, renderers, GPU process).
///
/// With `devTools`, it runs with `--remote-debugging-pipe`: it reads DevTools
/// commands on its descriptor 3 and writes answers and events on 4, each a
/// JSON text ended by a NUL byte. (A pipe rather than the WebSocket:
/// Foundation's WebSocket client on Linux needs a libcurl built with
/// WebSockets, which Debian's is not.) Otherwise its standard output is
/// captured for ``output(timeout:)``. One caller at a time.
final class BrowserProcess: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  private let pid: pid_t
  /// The read end of its standard output, or -1 (with `devTools`).
  private let standardOutput: Int32
  /// DevTools commands go here, answers come from there (-1 without `devTools`).
  private let commands: Int32
  private let answers: Int32
  private var buffer: [UInt8] = []
  private let ended = Mutex((killed: false, reaped: false))

  init(arguments: [String], devTools: Bool) throws {
    // Every pipe closes on exec except the ends the child gets by dup2 (its
    // 1, or 3 and 4); they are moved to 10 or above so that dup2 never maps
    // a descriptor onto itself.
    func pipeAbove10() throws -> (read: Int32, write: Int32) {
      var fds: [Int32] = [0, 0]
      guard pipe(&fds) == 0 else { throw Failure(description: "pipe failed") }
      let read = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)
      let write = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
      close(fds[0])
      close(fds[1])
      return (read, write)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var childEnds: [Int32] = []
    var parentEnds: (output: Int32, commands: Int32, answers: Int32) = (-1, -1, -1)
    if devTools {
      let toBrowser = try pipeAbove10()
      let fromBrowser = try pipeAbove10()
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
      posix_spawn_file_actions_adddup2(&actions, toBrowser.read, 3)
      posix_spawn_file_actions_adddup2(&actions, fromBrowser.write, 4)
      childEnds = [toBrowser.read, fromBrowser.write]
      parentEnds.commands = toBrowser.write
      parentEnds.answers = fromBrowser.read
    } else {
      let output = try pipeAbove10()
      posix_spawn_file_actions_adddup2(&actions, output.write, 1)
      childEnds = [output.write]
      parentEnds.output = output.read
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let executable = Chromium.executable ?? "/usr/bin/chromium"
    let flags = devTools ? ["--remote-debugging-pipe"] : []
    let argv = ([executable] + flags + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    let status = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
    childEnds.forEach { close($0) }
    guard status == 0 else {
      [parentEnds.output, parentEnds.commands, parentEnds.answers].filter { $0 >= 0 }
        .forEach { close($0) }
      throw Failure(description: "cannot start \(executable): error \(status)")
    }
    pid = child
    (standardOutput, commands, answers) = parentEnds
  }

  /// Its standard output once it exits, or what it wrote before it was
  /// killed after `timeout` seconds.
  func output(timeout: Double) async -> String {
    await withCheckedContinuation { continuation in
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
        if !ended.withLock({ $0.reaped }) { kill() }
      }
      DispatchQueue.global().async { [self] in
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
          let n = chunk.withUnsafeMutableBytes { read(standardOutput, $0.baseAddress, $0.count) }
          if n < 0, errno == EINTR { continue }
          guard n > 0 else { break }
          data.append(contentsOf: chunk[..<n])
        }
        close(standardOutput)
        reap()
        continuation.resume(returning: String(decoding: data, as: UTF8.self))
      }
    }
  }

  /// Sends `message` on the DevTools pipe and returns the first message for
  /// which `isAnswer` holds (events in between are dropped), waiting until
  /// `deadline` at most. Blocks the calling thread.
  func exchange(
    _ message: Data, until deadline: ContinuousClock.Instant, isAnswer: (Data) -> Bool
  ) throws -> Data {
    var bytes = [UInt8](message)
    bytes.append(0)
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
      guard n > 0 else { throw Failure(description: "the browser closed its DevTools pipe") }
      sent += n
    }
    while true {
      while let end = buffer.firstIndex(of: 0) {
        let message = Data(buffer[..<end])
        buffer.removeSubrange(...end)
        if isAnswer(message) { return message }
      }
      let left = deadline - ContinuousClock.now
      let millis = max(
        0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
      var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(millis))
      if ready == 0 { throw Failure(description: "no DevTools answer before the deadline") }
      if ready < 0 {
        if errno == EINTR { continue } else { throw Failure(description: "poll failed") }
      }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let n = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
      guard n > 0 else { throw Failure(description: "the browser closed its DevTools pipe") }
      buffer.append(contentsOf: chunk[..<n])
    }
  }

  /// Kills its process group (the browser and all it started) and reaps it;
  /// closes the DevTools pipe. Safe to call more than once, from any thread.
  func kill() {
    let first = ended.withLock { state -> Bool in
      defer { state.killed = true }
      return !state.killed
    }
    guard first else { return }
    _ = Glibc.kill(-pid, SIGKILL)
    reap()
    if commands >= 0 { close(commands) }
    if answers >= 0 { close(answers) }
  }

  /// Waits for the browser's main process to exit, once.
  private func reap() {
    guard
      ended.withLock({ state -> Bool in
        defer { state.reaped = true }
        return !state.reaped
      })
    else { return }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
  }
}

/// A page in headless Chromium driven over the DevTools protocol (see
/// ``BrowserProcess``), for real clicks: `Runtime.evaluate` reads the DOM and
/// `Input.dispatchMouseEvent` clicks like a user.
final class DevToolsPage: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  private let browser: BrowserProcess
  private let profile: URL
  private var nextID = 0
  /// The page's session, once attached (commands without one go to the browser).
  private var session: String?

  /// Opens `url` in a new headless Chromium with a `windowSize` window and
  /// attaches to its page, within `timeout` seconds.
  init(url: String, profile: URL, windowSize: String = "1280,800", timeout: Double = 60)
    async throws
  {
    try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
    browser = try BrowserProcess(
      arguments: Chromium.arguments(profile: profile, windowSize: windowSize) + [url],
      devTools: true)
    self.profile = profile
    do {
      let deadline = ContinuousClock.now + .seconds(timeout)
      var page: String?
      while page == nil {
        let targets = try await send("Target.getTargets")["targetInfos"] as? [[String: Any]]
        page = targets?.first { $0["type"] as? String == "page" }?["targetId"] as? String
        if page == nil {
          guard ContinuousClock.now < deadline else {
            throw Failure(description: "Chromium opened no page for \(url) in \(timeout) s")
          }
          try await Task.sleep(for: .milliseconds(100))
        }
      }
      let attached = try await send("Target.attachToTarget", ["targetId": page!, "flatten": true])
      guard let session = attached["sessionId"] as? String else {
        throw Failure(description: "Target.attachToTarget returned no session: \(attached)")
      }
      self.session = session
      // The viewport the one-shot screenshots get from --window-size.
      let size = windowSize.split(separator: ",").compactMap { Int($0) }
      if size.count == 2 {
        try await send(
          "Emulation.setDeviceMetricsOverride",
          ["width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": false])
      }
    } catch {
      close()
      throw error
    }
  }

  /// Kills the browser and removes its profile.
  func close() {
    browser.kill()
    try? FileManager.default.removeItem(at: profile)
  }

  /// Sends one DevTools command and returns its result, within `timeout` seconds.
  @discardableResult
  func send(_ method: String, _ parameters: [String: Any] = [:], timeout: Double = 30)
    async throws -> [String: Any]
  {
    nextID += 1
    let id = nextID
    var command: [String: Any] = ["id": id, "method": method, "params": parameters]
    if let session { command["sessionId"] = session }
    let message = try JSONSerialization.data(withJSONObject: command)
    let deadline = ContinuousClock.now + .seconds(timeout)
    let browser = self.browser
    // The pipe blocks, so the exchange runs off Swift's cooperative threads.
    let answer: Result<Data, any Error> = await withCheckedContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(
          returning: Result {
            try browser.exchange(message, until: deadline) { data in
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
              return object?["id"] as? Int == id
            }
          })
      }
    }
    let object = try JSONSerialization.jsonObject(with: try answer.get()) as? [String: Any] ?? [:]
    if let error = object["error"] {
      throw Failure(description: "\(method) failed: \(error)")
    }
    return object["result"] as? [String: Any] ?? [:]
  }

  /// The value of a JavaScript expression in the page (promises awaited).
  func evaluate(_ expression: String) async throws -> Any? {
    let result = try await send(
      "Runtime.evaluate",
      ["expression": expression, "returnByValue": true, "awaitPromise": true])
    if let exception = result["exceptionDetails"] {
      throw Failure(description: "\(expression) threw \(exception)")
    }
    return (result["result"] as? [String: Any])?["value"]
  }

  /// Polls `expression` every 100 ms until it is truthy (returned) or `seconds` pass (nil).
  func waitFor(_ expression: String, seconds: Double = 30) async throws -> Any? {
    let deadline = ContinuousClock.now + .seconds(seconds)
    repeat {
      if let value = try await evaluate(expression), Self.truthy(value) { return value }
      try await Task.sleep(for: .milliseconds(100))
    } while ContinuousClock.now < deadline
    return nil
  }

  private static func truthy(_ value: Any) -> Bool {
    switch value {
    case let flag as Bool: flag
    case let number as NSNumber: number != 0
    case let text as String: !text.isEmpty
    default: true
    }
  }

  /// Clicks the centre of the first element matching `selector` with the
  /// mouse, as a user would (it must be visible in the window).
  func click(_ selector: String) async throws {
    let box = try await evaluate(
      """
      (() => { const e = document.querySelector(\(Self.quoted(selector)));
        if (!e) return null; e.scrollIntoView({block: "center"});
        const r = e.getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2]; })()
      """)
    guard let point = box as? [Double], point.count == 2 else {
      throw Failure(description: "no element matches \(selector)")
    }
    for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
      try await send(
        "Input.dispatchMouseEvent",
        [
          "type": type, "x": point[0], "y": point[1],
          "button": type == "mouseMoved" ? "none" : "left",
          "clickCount": type == "mouseMoved" ? 0 : 1,
        ])
    }
  }

  /// A PNG screenshot of the window.
  func screenshot() async throws -> Data {
    let result = try await send("Page.captureScreenshot", ["format": "png"])
    guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
      throw Failure(description: "Page.captureScreenshot returned no image")
    }
    return png
  }

  /// `text` as a JavaScript string literal.
  static func quoted(_ text: String) -> String {
    let data = try? JSONSerialization.data(withJSONObject: [text])
    return String(decoding: data ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast()
      .description
  }
}
