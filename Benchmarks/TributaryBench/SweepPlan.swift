/// One configuration of the sweep: a workload on a backend at a parallelism.
struct SweepSetup: Hashable, Sendable {
  var workload: String
  var state: String
  var parallelism: Int
}

/// One checkpoint setting of the sweep: an interval (`nil` = off) and a mode.
struct SweepInterval: Hashable, Sendable {
  /// As written on the command line: `off`, `10s`, `100ms`, …
  var label: String
  /// Milliseconds, `nil` when off.
  var milliseconds: Int64?
  /// `exactly-once` or `at-least-once`.
  var mode: String
}

/// One point of the sweep: a setup with a checkpoint setting.
struct SweepPoint: Hashable, Sendable {
  var setup: SweepSetup
  var interval: SweepInterval

  /// A short name for progress messages.
  var name: String {
    "\(setup.workload) \(setup.state) p\(setup.parallelism) \(interval.label)"
      + (interval.mode == "exactly-once" ? "" : " \(interval.mode)")
  }
}

/// Every point of a sweep and the order they run in.
struct SweepPlan: Sendable {
  var setups: [SweepSetup]
  var intervals: [SweepInterval]
  /// Workloads whose points also get a recovery run.
  var recoveryWorkloads: Set<String>

  /// The points of repetition `round`, interleaved: each step runs every
  /// setup once, and the interval each setup runs at rotates with the step,
  /// the setup and the round, so no interval always runs first, last or next
  /// to the same neighbours (slow drift of the machine spreads over all intervals).
  func points(round: Int) -> [SweepPoint] {
    var points: [SweepPoint] = []
    for step in intervals.indices {
      for (s, setup) in setups.enumerated() {
        points.append(
          SweepPoint(setup: setup, interval: intervals[(step + s + round) % intervals.count]))
      }
    }
    return points
  }

  /// Points per round.
  var count: Int { setups.count * intervals.count }

  /// Setups whose points get a recovery run.
  var recoverySetupCount: Int { setups.filter { recoveryWorkloads.contains($0.workload) }.count }
}
