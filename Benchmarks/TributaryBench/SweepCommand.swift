import ArgumentParser
import Foundation
import Tributary

/// `tributary-bench sweep`: checkpoint interval versus throughput and recovery.
struct SweepCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Measure checkpoint interval against throughput and recovery; write CSV and plot.",
    discussion: """
      For every workload, backend, parallelism and checkpoint setting, each repetition round \
      runs `tributary-bench run … --json` (throughput, checkpoint costs, latency, peak RSS) and \
      `tributary-bench recover … --json` (one injected failure at a random moment after \
      warm-up: events replayed, restore time, catch-up time), each in its own process. The \
      points of a round are interleaved; relative throughput compares with `off` of the same \
      round and setup. Writes one CSV row per point and round, then runs the plot script.
      """)

  @Option(help: "Repetition rounds (default 3; 1 with --quick).")
  var repetitions: Int?

  @Flag(help: "A reduced sweep for smoke tests (p1; off, 100ms, 10ms, 100ms at-least-once).")
  var quick = false

  @Option(help: "Workloads, comma-separated.")
  var workloads = "w2,w3"

  @Option(help: "State backends, comma-separated.")
  var backends = "heap,rocksdb"

  @Option(
    help:
      "Workloads whose recovery is measured, comma-separated (default: all of --workloads; w2 with --quick, to stay under two minutes; '' for none)."
  )
  var recoveryWorkloads: String?

  @Option(help: "Parallelisms, comma-separated (default 1,2; 1 with --quick).")
  var parallelisms: String?

  @Option(
    help:
      "Exactly-once checkpoint intervals, comma-separated (default off,10s,1s,500ms,100ms,10ms).")
  var intervals: String?

  @Option(help: "At-least-once checkpoint intervals, comma-separated (default 100ms; '' for none).")
  var atLeastOnceIntervals: String?

  @Option(
    help:
      "Target length of each throughput run in seconds at the speed without checkpoints (default 11, so a 10 s interval checkpoints; 1.5 with --quick)."
  )
  var seconds: Double?

  @Option(help: "Events per throughput run, instead of calibrating them from --seconds.")
  var events: Int?

  @Option(help: "Warm-up before a failure may be injected, in ms (default 1000; 300 with --quick).")
  var warmupMs: Int?

  @Option(help: "RocksDB write-back cache per keyed subtask in MiB.")
  var stateCacheMb = 64

  @Option(help: "Seed for the random failure moments.")
  var seed: UInt64 = 42

  @Option(help: "Where to write the CSV.")
  var csv = "docs/benchmarks/checkpoint-sweep.csv"

  @Option(help: "Where to write the plot (SVG or PNG, by extension).")
  var plot = "docs/benchmarks/checkpoint-sweep.svg"

  @Option(
    help: "The plot script (default: Benchmarks/plot_checkpoint_sweep.py of this source tree).")
  var plotScript: String?

  @Flag(help: "Do not plot (the CSV is still written).")
  var noPlot = false

  func run() async throws {
    let plan = try makePlan()
    let rounds = repetitions ?? (quick ? 1 : 3)
    let runSeconds = seconds ?? (quick ? 1.5 : 11)
    let warmup = warmupMs ?? (quick ? 300 : 1_000)
    guard rounds > 0, runSeconds > 0, warmup >= 0, (events ?? 1) > 0 else {
      throw SweepError.invalidOption(
        "--repetitions, --seconds and --events must be positive, --warmup-ms not negative")
    }
    try writeHeader(rounds: rounds, warmup: warmup)
    let calibrations = events == nil ? plan.setups.count : 0
    var rng = SweepRandom(seed: seed)
    var progress = SweepProgress(
      totalSteps: calibrations + rounds * plan.count
        + rounds * plan.intervals.count * plan.recoverySetupCount,
      estimatedSeconds: Double(calibrations) * (6 + runSeconds) + Double(rounds)
        * plan.intervals.reduce(0) {
          $0 + Double(plan.setups.count) * (runSeconds + 1) + Double(plan.recoverySetupCount)
            * Self.recoveryEstimate($1, warmupMs: warmup)
        })

    var eventsPerSetup: [SweepSetup: Int] = [:]
    for setup in plan.setups {
      if let events {
        eventsPerSetup[setup] = events
        continue
      }
      progress.starting("calibrating \(setup.workload) \(setup.state) p\(setup.parallelism)")
      eventsPerSetup[setup] = try calibrate(setup, seconds: runSeconds, checks: quick ? 0 : 3)
      progress.finished(estimatedSeconds: 6 + runSeconds)
    }

    for round in 0..<rounds {
      var measured: [(point: SweepPoint, run: BenchReport, recover: BenchReport?)] = []
      for point in plan.points(round: round) {
        let label = "round \(round + 1)/\(rounds): \(point.name)"
        progress.starting("\(label): throughput")
        let run = try BenchProcess.report(runArguments(point, events: eventsPerSetup[point.setup]!))
        progress.finished(estimatedSeconds: runSeconds + 1)
        let phase = rng.unit()
        guard plan.recoveryWorkloads.contains(point.setup.workload) else {
          measured.append((point, run, nil))
          continue
        }
        progress.starting(
          "\(label): recovery, failure at phase \(String(format: "%.2f", phase))")
        let recover = try BenchProcess.report(
          recoverArguments(point, warmupMs: warmup, phase: phase))
        progress.finished(estimatedSeconds: Self.recoveryEstimate(point.interval, warmupMs: warmup))
        measured.append((point, run, recover))
      }
      // Relative throughput: against `off` of the same setup in this round.
      var off: [SweepSetup: Double] = [:]
      for m in measured where m.point.interval.milliseconds == nil {
        off[m.point.setup] = m.run["events_per_second"]
      }
      let rows = measured.map { m in
        let base = off[m.point.setup] ?? 0
        return SweepCSV.row(
          round: round + 1, point: m.point, run: m.run, recover: m.recover,
          relativeThroughput: base > 0 ? (m.run["events_per_second"] ?? 0) / base : 0)
      }
      try append(rows.joined(separator: "\n") + "\n")
    }
    FileHandle.standardError.write(
      Data(
        "sweep done in \(SweepProgress.format(progress.elapsedSeconds)); CSV: \(csv)\n".utf8))
    if !noPlot { try runPlot() }
  }

  /// The points to run, from the options.
  func makePlan() throws -> SweepPlan {
    func list(_ text: String) -> [String] {
      text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
    let workloadList = list(workloads)
    let backendList = list(backends)
    let parallelismList = list(parallelisms ?? (quick ? "1" : "1,2"))
    let exactly = list(intervals ?? (quick ? "off,100ms,10ms" : "off,10s,1s,500ms,100ms,10ms"))
    let atLeast = list(atLeastOnceIntervals ?? "100ms")
    guard workloadList.allSatisfy({ ["w2", "w3"].contains($0) }), !workloadList.isEmpty else {
      throw SweepError.invalidOption("--workloads takes w2 and/or w3, comma-separated")
    }
    guard backendList.allSatisfy({ ["heap", "rocksdb"].contains($0) }), !backendList.isEmpty else {
      throw SweepError.invalidOption("--backends takes heap and/or rocksdb, comma-separated")
    }
    let parallelismValues = parallelismList.compactMap { Int($0) }.filter { (1...128).contains($0) }
    guard parallelismValues.count == parallelismList.count, !parallelismValues.isEmpty else {
      throw SweepError.invalidOption("--parallelisms takes numbers in 1...128, comma-separated")
    }
    var settings: [SweepInterval] = []
    for (labels, mode) in [(exactly, "exactly-once"), (atLeast, "at-least-once")] {
      for label in labels {
        guard let interval = Interval(parsing: label) else {
          throw SweepError.invalidOption(
            "checkpoint interval '\(label)' must look like off, 10s or 100ms")
        }
        settings.append(
          SweepInterval(label: label, milliseconds: interval.millisecondsValue, mode: mode))
      }
    }
    guard !settings.isEmpty else { throw SweepError.invalidOption("no checkpoint interval given") }
    var setups: [SweepSetup] = []
    for workload in workloadList {
      for state in backendList {
        for parallelism in parallelismValues {
          setups.append(SweepSetup(workload: workload, state: state, parallelism: parallelism))
        }
      }
    }
    let recovery = Set(
      list(
        recoveryWorkloads
          ?? (quick ? workloadList.filter { $0 == "w2" }.joined(separator: ",") : workloads)))
    guard recovery.isSubset(of: workloadList) else {
      throw SweepError.invalidOption("--recovery-workloads must be among --workloads")
    }
    return SweepPlan(setups: setups, intervals: settings, recoveryWorkloads: recovery)
  }

  /// Rough seconds a recovery run takes (for the time estimate): warm-up, the
  /// first checkpoint, half an interval, catching up, stopping.
  static func recoveryEstimate(_ interval: SweepInterval, warmupMs: Int) -> Double {
    let ms = Double(interval.milliseconds ?? 1_000)
    return (Double(warmupMs) + max(Double(warmupMs), ms) + ms) / 1_000 + 1
  }

  /// The number of events the sources emit in about `seconds` without
  /// checkpoints. The rate is marginal: from a run of about a second and one
  /// three times longer, so fixed costs (start-up, W3's end-of-input scan of
  /// every key) do not count; the source phase of a run must outlast the
  /// longest interval for that interval to checkpoint. Then up to `checks`
  /// runs of the result check it, correcting it when one lasts under 85 % or
  /// over 130 % of `seconds` (`--quick` skips them: a smoke test need not be exact).
  func calibrate(_ setup: SweepSetup, seconds: Double, checks: Int) throws -> Int {
    let off = SweepInterval(label: "off", milliseconds: nil, mode: "exactly-once")
    func took(_ events: Int) throws -> Double {
      let report = try BenchProcess.report(
        runArguments(SweepPoint(setup: setup, interval: off), events: events))
      return max(report["seconds"] ?? 0, 0.001)
    }
    var small = 1_000_000
    var smallTook = try took(small)
    if smallTook < 0.5 {
      small = Int(Double(small) * min(20, 1 / smallTook))
      smallTook = try took(small)
    }
    let large = small * 3
    let largeTook = try took(large)
    let marginal = largeTook > smallTook ? Double(large - small) / (largeTook - smallTook) : 0
    let rate = marginal > 0 ? marginal : Double(large) / largeTook
    var events = max(1, Int(rate * seconds))
    // The marginal rate is far off when fixed costs vary between the short
    // runs (W3 on RocksDB at parallelism 2 once got a fifth of its events, so
    // its runs lasted 2.5 s): check with a run of the chosen length, and
    // rescale until one lasts about `seconds` (several corrections: the rate
    // also grows with the length of a run, as W3 first creates its keys).
    var (checked, lasted) = (events, 0.0)
    for _ in 0..<checks {
      (checked, lasted) = (events, try took(events))
      guard lasted < seconds * 0.85 || lasted > seconds * 1.3 else { break }
      events = max(1, Int(Double(events) * seconds / lasted))
    }
    let check =
      checks > 0
      ? "last check: \(checked) events in \(String(format: "%.1f", lasted)) s" : "not checked"
    FileHandle.standardError.write(
      Data(
        "calibrated \(setup.workload) \(setup.state) p\(setup.parallelism): \(events) events (\(check))\n"
          .utf8))
    return events
  }

  func runArguments(_ point: SweepPoint, events: Int) -> [String] {
    [
      "run", "--workload", point.setup.workload, "--events", String(events), "--parallelism",
      String(point.setup.parallelism), "--state", point.setup.state, "--state-cache-mb",
      String(stateCacheMb), "--checkpoint-interval", point.interval.label, "--mode",
      point.interval.mode, "--json", "--no-baseline", "--latency",
    ]
  }

  func recoverArguments(_ point: SweepPoint, warmupMs: Int, phase: Double) -> [String] {
    [
      "recover", "--workload", point.setup.workload, "--parallelism",
      String(point.setup.parallelism), "--state", point.setup.state, "--state-cache-mb",
      String(stateCacheMb), "--checkpoint-interval", point.interval.label, "--mode",
      point.interval.mode, "--warmup-ms", String(warmupMs), "--phase", String(phase), "--json",
    ]
  }

  /// Starts the CSV: comment lines describing the machine and the run, then the column names.
  func writeHeader(rounds: Int, warmup: Int) throws {
    let url = URL(fileURLWithPath: csv)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let started = ISO8601DateFormatter().string(from: Date())
    let header = [
      "# tributary-bench sweep: checkpoint interval versus throughput and recovery",
      "# machine: \(MachineDescription.summary)",
      "# build: \(MachineDescription.build), commit \(MachineDescription.commit), started \(started)",
      "# command: tributary-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))",
      "# repetitions \(rounds), warm-up \(warmup) ms, seed \(seed), state cache \(stateCacheMb) MiB",
      SweepCSV.columns.joined(separator: ","),
    ]
    try (header.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
  }

  func append(_ text: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: csv))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
  }

  /// Runs the plot script on the CSV; it prints the table of medians.
  func runPlot() throws {
    let script =
      plotScript
      ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("plot_checkpoint_sweep.py").path
    let (status, output) = try BenchProcess.run("/usr/bin/env", ["python3", script, csv, plot])
    print(output, terminator: "")
    guard status == 0 else { throw SweepError.plotFailed(script: script, status: status) }
    FileHandle.standardError.write(Data("plot: \(plot)\n".utf8))
  }
}

/// SplitMix64: the seeded random failure moments.
struct SweepRandom {
  private var state: UInt64
  init(seed: UInt64) { state = seed }

  /// A uniform number in [0, 1).
  mutating func unit() -> Double {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Double(z >> 11) / Double(1 << 53)
  }
}
