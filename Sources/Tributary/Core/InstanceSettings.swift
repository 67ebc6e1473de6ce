/// Which instance of a scaled-out job this process is (docs/scale-out.md).
///
/// A job may run as `count` processes (instances) started with the same
/// pipeline and options; instance `index` reads its share of the source
/// splits and owns the key groups ``KeyGroups/range(instance:instances:maxParallelism:)``.
/// Instances exchange records through NATS JetStream at `exchangeURL`, under
/// names derived from `jobName`. With `count == 1` (``single``, the default)
/// nothing changes: no exchange, no NATS.
///
/// A value type, validated at construction: every instance of a job must be
/// given the same `count`, `exchangeURL` and `jobName`.
public struct InstanceSettings: Sendable, Equatable, CustomStringConvertible {
  /// How many instances the job runs as (at least 1).
  public let count: Int
  /// This instance, in `0..<count`.
  public let index: Int
  /// The NATS server of the exchange (`nats://HOST:PORT`); `nil` only when `count == 1`.
  public let exchangeURL: String?
  /// The job's name on the exchange (stream names, lease keys); `nil` only when `count == 1`.
  public let jobName: String?
  /// How long an instance's lease lasts without renewal (fencing).
  public let leasePeriod: Duration

  /// One instance, no exchange: the job runs in this process alone.
  public static let single = InstanceSettings(
    uncheckedCount: 1, index: 0, exchangeURL: nil, jobName: nil, leasePeriod: .seconds(10))

  /// Instance `index` of `count`.
  /// - Throws: ``InstanceSettingsError`` when `count < 1`, `index` is not in
  ///   `0..<count`, `count > 1` without an exchange URL (`nats://HOST:PORT`) or
  ///   job name (letters, digits, `-` and `_`), or the lease period is below 1 s.
  public init(
    count: Int, index: Int, exchangeURL: String? = nil, jobName: String? = nil,
    leasePeriod: Duration = .seconds(10)
  ) throws(InstanceSettingsError) {
    guard count >= 1 else { throw .countOutOfRange(count) }
    guard (0..<count).contains(index) else { throw .indexOutOfRange(index: index, count: count) }
    if let exchangeURL, !Self.isValidExchangeURL(exchangeURL) {
      throw .invalidExchangeURL(exchangeURL)
    }
    if let jobName, !Self.isValidJobName(jobName) { throw .invalidJobName(jobName) }
    if count > 1 {
      guard exchangeURL != nil else { throw .missingExchangeURL(count: count) }
      guard jobName != nil else { throw .missingJobName(count: count) }
    }
    guard leasePeriod >= .seconds(1) else { throw .leasePeriodTooShort(leasePeriod) }
    self.init(
      uncheckedCount: count, index: index, exchangeURL: exchangeURL, jobName: jobName,
      leasePeriod: leasePeriod)
  }

  private init(
    uncheckedCount count: Int, index: Int, exchangeURL: String?, jobName: String?,
    leasePeriod: Duration
  ) {
    self.count = count
    self.index = index
    self.exchangeURL = exchangeURL
    self.jobName = jobName
    self.leasePeriod = leasePeriod
  }

  /// Whether the job runs in this process alone (`count == 1`).
  public var isSingle: Bool { count == 1 }

  /// Where this instance checkpoints when the job's checkpoint directory is
  /// `directory`: `directory` itself for a single instance, else
  /// `directory/instance-<index>`, so instances may share one (NFS) directory.
  public func checkpointDirectory(in directory: String) -> String {
    if isSingle { return directory }
    var base = directory
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    return base + "/instance-\(index)"
  }

  /// `name` made this instance's own: `name` for a single instance, else
  /// `name-i<index>`. Sinks name their files or transactions with it, so
  /// instances sharing a directory or database never touch each other's.
  public func scoped(_ name: String) -> String {
    isSingle ? name : "\(name)-i\(index)"
  }

  /// The instance index at the end of a StatefulSet-style host name
  /// (`windowed-counts-2` → 2), or `nil` when it does not end in `-<digits>`.
  public static func index(fromHostname hostname: String) -> Int? {
    let name = hostname.split(separator: ".").first.map(String.init) ?? hostname
    guard let dash = name.lastIndex(of: "-") else { return nil }
    let digits = name[name.index(after: dash)...]
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
      return nil
    }
    return Int(digits)
  }

  /// Whether `url` is `nats://HOST:PORT` with a non-empty host and a port in 1...65535.
  public static func isValidExchangeURL(_ url: String) -> Bool {
    guard url.hasPrefix("nats://") else { return false }
    let rest = url.dropFirst("nats://".count)
    guard let colon = rest.lastIndex(of: ":"), colon != rest.startIndex,
      let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port)
    else { return false }
    return !rest[..<colon].contains("/")
  }

  /// Whether `name` can name JetStream streams and key-value keys: 1 to 64
  /// ASCII letters, digits, `-` and `_`.
  public static func isValidJobName(_ name: String) -> Bool {
    (1...64).contains(name.count)
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
  }

  /// "instance I of N (job NAME, exchange URL)", or "single instance".
  public var description: String {
    isSingle
      ? "single instance"
      : "instance \(index) of \(count) (job \(jobName ?? "?"), exchange \(exchangeURL ?? "?"))"
  }
}

/// Why instance settings are invalid, or why the job cannot run as configured.
/// Each description says what to do.
public enum InstanceSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The number of instances is below 1.
  case countOutOfRange(Int)
  /// The instance index is not in `0..<count`.
  case indexOutOfRange(index: Int, count: Int)
  /// Several instances need an exchange.
  case missingExchangeURL(count: Int)
  /// The exchange URL is not `nats://HOST:PORT`.
  case invalidExchangeURL(String)
  /// Several instances need a job name shared by all of them.
  case missingJobName(count: Int)
  /// The job name cannot name JetStream streams.
  case invalidJobName(String)
  /// The lease period is below one second.
  case leasePeriodTooShort(Duration)
  /// `--instance auto` on a host whose name does not end in `-<index>`.
  case hostnameWithoutIndex(String)
  /// The instance index is neither a number nor `auto`.
  case invalidIndex(String)
  /// The number of instances is not a number.
  case invalidCount(String)
  /// The lease period does not look like `10s` or `500ms`.
  case invalidLeasePeriod(String)
  /// More instances than key groups: some instance would own none.
  case moreInstancesThanKeyGroups(count: Int, maxParallelism: Int)
  /// Several instances, but no exchange transport in the job's configuration.
  case noExchangeTransport(count: Int)
  /// Several instances need checkpoints: the exchange commits at checkpoints.
  case checkpointsRequired(count: Int)

  /// What is wrong and what to do.
  public var description: String {
    switch self {
    case .countOutOfRange(let count):
      return "the number of instances must be at least 1, got \(count)"
    case .indexOutOfRange(let index, let count):
      return "the instance index must be in 0..<\(count) (one process per index), got \(index)"
    case .missingExchangeURL(let count):
      return "\(count) instances exchange records through NATS JetStream: give the server with "
        + "--exchange-url nats://HOST:PORT (the same for every instance)"
    case .invalidExchangeURL(let url):
      return "the exchange URL must look like nats://HOST:PORT, got '\(url)'"
    case .missingJobName(let count):
      return "\(count) instances of one job must share a name: give --job-name NAME (letters, "
        + "digits, '-' and '_'; the same for every instance, different for other jobs)"
    case .invalidJobName(let name):
      return "the job name must be 1 to 64 letters, digits, '-' or '_' (it names JetStream "
        + "streams and lease keys), got '\(name)'"
    case .leasePeriodTooShort(let period):
      return "the lease period must be at least 1s, got \(period)"
    case .hostnameWithoutIndex(let host):
      return "--instance auto takes the index from a host name ending in -<index> (as a "
        + "Kubernetes StatefulSet names its pods), but this host is '\(host)'; give the index "
        + "as a number"
    case .invalidIndex(let text):
      return "the instance index must be a number or auto, got '\(text)'"
    case .invalidCount(let text):
      return "the number of instances must be a number, got '\(text)'"
    case .invalidLeasePeriod(let text):
      return "the lease period must look like 10s or 1500ms, got '\(text)'"
    case .moreInstancesThanKeyGroups(let count, let maxParallelism):
      return "\(count) instances but only \(maxParallelism) key groups: every instance must own "
        + "at least one; run at most \(maxParallelism) instances"
    case .noExchangeTransport(let count):
      return "\(count) instances exchange records through a log, but the job has no exchange "
        + "transport: set JobConfiguration.exchangeTransport (TributaryNATS: JetStreamExchange; "
        + "the pipeline options do this from --exchange-url)"
    case .checkpointsRequired(let count):
      return "\(count) instances hand records on only when the producer's checkpoint completed: "
        + "give --checkpoint-dir (each instance checkpoints into DIR/instance-I)"
    }
  }
}
