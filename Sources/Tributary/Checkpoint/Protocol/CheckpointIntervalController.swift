/// Chooses the checkpoint interval from a recovery-time objective: the
/// longest interval whose predicted recovery time stays within the objective
/// (a longer interval costs less throughput). A pure state machine: fed
/// measurements, it returns intervals; no clock, no I/O.
///
/// The model (docs/checkpoints.md, "Choosing the interval from a recovery
/// objective"): a failure just before checkpoint n+1 completes loses
/// everything since checkpoint n was triggered. Checkpoint n+1 is triggered
/// one interval after n was, or when n completes if that is later (one
/// checkpoint at a time), so that is up to `max(interval, duration) +
/// duration` of input. Recovering means waiting the restart delay, restoring
/// the last checkpoint and processing the lost input again at the catch-up
/// rate:
///
///     recovery(I) = k · (delay + restore + (max(I, duration) + duration) · inputRate / catchUpRate)
///
/// where `k ≥ 1` is the measured correction (real recoveries over their
/// predictions), so the longest interval meeting the objective is
///
///     I* = (margin · objective / k − delay − restore) · catchUpRate / inputRate − duration
///
/// when that is at least the duration; below it no interval helps (the
/// checkpoints run back to back and a failure loses two durations).
///
/// Guarantees:
/// - The interval always lies in `[minimumMillis, maximumMillis]`.
/// - Measurements are smoothed (an exponential moving average), and the
///   interval only moves when the target differs from it by more than
///   `deadband` on the same side for `confirmations` updates in a row; it
///   grows by at most `maximumGrowth` per update and shrinks to the target
///   (at once when the predicted recovery at the current interval exceeds
///   the objective), so noisy measurements around a steady state leave it
///   still instead of making it oscillate.
/// - Far below the objective — the predicted recovery at the current
///   interval under `farBelow` of the share aimed at — it grows at once
///   (without confirmations) by up to `fastGrowth`, never past the target:
///   a job whose checkpoints are slow completes few of them, and at two
///   confirmations per doubling it would spend a short run climbing. Near
///   the target the prediction is near the share aimed at, so noise there
///   still needs the confirmations.
/// - The first measurement moves the interval at once, without
///   confirmations (by up to `fastGrowth`, or `maximumGrowth` with fast
///   growth off): the start interval was chosen without measurements, so
///   there is nothing for it to confirm; from then on noise is damped as
///   above. (Waiting for confirmations there made a W3 job at a 2 s
///   objective climb from its 400 ms start through 722 ms to 959 ms, two
///   checkpoints of about 0.6 s of CPU each more than a fixed 1 s.)
/// - When the objective cannot be met even at `minimumMillis`,
///   ``objectiveMet`` is `false` and the interval is `minimumMillis`.
/// - Without input (rate 0) nothing is lost by a longer interval: the
///   target is `maximumMillis`.
public struct CheckpointIntervalController: Sendable, Equatable {
  /// The objective and the bounds of the interval.
  public struct Settings: Sendable, Hashable {
    /// The recovery-time objective: failure to back where the job was.
    public var objectiveMillis: Int64
    /// The shortest interval the controller chooses.
    public var minimumMillis: Int64
    /// The longest interval the controller chooses.
    public var maximumMillis: Int64
    /// The share of the objective the prediction aims at (the rest absorbs
    /// prediction error), in (0, 1].
    public var margin: Double
    /// Relative change of the target below which the interval stays.
    public var deadband: Double
    /// The largest factor by which one update lengthens the interval.
    public var maximumGrowth: Double
    /// Weight of a new measurement in the moving averages, in (0, 1].
    public var smoothing: Double
    /// How many updates in a row the target must lie beyond the deadband,
    /// on the same side, before the interval moves (a shortening moves at
    /// once when the prediction at the current interval misses the
    /// objective; a lengthening at once when it is far below, see
    /// ``farBelow``).
    public var confirmations: Int
    /// The share of the aimed-at recovery (`margin · objective`) under which
    /// the predicted recovery at the current interval counts as far below
    /// it: the interval then grows without confirmations, by up to
    /// ``fastGrowth``. In [0, 1); 0 turns fast growth off.
    public var farBelow: Double
    /// The largest factor by which one update lengthens the interval while
    /// the prediction is far below the objective (at least ``maximumGrowth``).
    public var fastGrowth: Double

    /// Creates settings; the defaults aim at 80 % of the objective, ignore
    /// target changes under 15 %, move after 2 confirming updates, at most
    /// double the interval per update (quadruple it at once while the
    /// prediction is under half the aimed-at recovery) and weigh a new
    /// measurement 0.2.
    public init(
      objectiveMillis: Int64, minimumMillis: Int64 = 100, maximumMillis: Int64 = 60_000,
      margin: Double = 0.8, deadband: Double = 0.15, maximumGrowth: Double = 2,
      smoothing: Double = 0.2, confirmations: Int = 2, farBelow: Double = 0.5,
      fastGrowth: Double = 4
    ) {
      self.farBelow = Swift.min(Swift.max(farBelow, 0), 0.99)
      self.fastGrowth = Swift.max(fastGrowth, maximumGrowth)
      self.objectiveMillis = objectiveMillis
      self.minimumMillis = minimumMillis
      self.maximumMillis = maximumMillis
      self.margin = margin
      self.deadband = deadband
      self.maximumGrowth = maximumGrowth
      self.smoothing = smoothing
      self.confirmations = Swift.max(1, confirmations)
    }

    /// The interval to start at before anything is measured: a quarter of
    /// the share of the objective the prediction aims at. Safe without
    /// measurements: until the first checkpoint completes, a failure loses
    /// at most this interval plus the checkpoint's own time of input, which a
    /// job that keeps up with its input replays in no more time than that;
    /// the first measurements then move it to the target within a few
    /// checkpoints instead of the many a start at the minimum takes.
    public var safeStartMillis: Int64 {
      Int64((margin * Double(objectiveMillis) / 4).rounded())
    }

    /// Throws when the objective or the bounds make no sense.
    public func validate() throws(CheckpointConfigurationError) {
      if objectiveMillis <= 0 { throw .recoveryObjectiveNotPositive(objectiveMillis) }
      if minimumMillis < CheckpointSettings.minimumIntervalMillis {
        throw .intervalTooShort(minimumMillis)
      }
      if maximumMillis < minimumMillis {
        throw .intervalBoundsInverted(minimum: minimumMillis, maximum: maximumMillis)
      }
    }
  }

  /// What the job measured since the last update. Rates in records per
  /// second, times in milliseconds.
  public struct Measurement: Sendable, Equatable {
    /// Records the sources read per second.
    public var inputRate: Double
    /// Records per second the job can process when input is waiting.
    public var catchUpRate: Double
    /// How long the last checkpoint took, trigger to completion.
    public var checkpointMillis: Double
    /// The predicted time to restore the last checkpoint (its size at the
    /// measured restore rate, plus the fixed cost of starting the tasks).
    public var restoreMillis: Double
    /// The restart strategy's delay before a restart.
    public var restartDelayMillis: Double
    /// Measured recoveries over what the model predicted for them (1 until
    /// the job has recovered; at least 1): what the model leaves out, such
    /// as tearing down the failed run or a slow start after a restore.
    public var correction: Double

    /// Creates a measurement.
    public init(
      inputRate: Double, catchUpRate: Double, checkpointMillis: Double, restoreMillis: Double,
      restartDelayMillis: Double, correction: Double = 1
    ) {
      self.inputRate = inputRate
      self.catchUpRate = catchUpRate
      self.checkpointMillis = checkpointMillis
      self.restoreMillis = restoreMillis
      self.restartDelayMillis = restartDelayMillis
      self.correction = correction
    }
  }

  /// The objective and bounds.
  public let settings: Settings
  /// The interval now in force.
  public private(set) var intervalMillis: Int64
  /// The interval the smoothed measurements call for (before the deadband
  /// and the growth limit).
  public private(set) var targetMillis: Int64
  /// The predicted recovery time at ``intervalMillis`` from the smoothed
  /// measurements; `nil` before the first measurement.
  public private(set) var predictedRecoveryMillis: Double?
  /// Whether the objective can be met within the bounds (`true` until a
  /// measurement says otherwise).
  public private(set) var objectiveMet = true
  private var smoothed: Measurement?
  /// The side of the deadband the target was on at the last updates (-1, 0,
  /// 1) and for how many updates in a row.
  private var pendingDirection = 0
  private var pendingCount = 0

  /// A controller starting at `initialMillis`, by default at
  /// ``Settings/safeStartMillis``; clamped to the bounds.
  public init(settings: Settings, initialMillis: Int64? = nil) throws(CheckpointConfigurationError)
  {
    try settings.validate()
    self.settings = settings
    let start = Swift.min(
      settings.maximumMillis,
      Swift.max(settings.minimumMillis, initialMillis ?? settings.safeStartMillis))
    intervalMillis = start
    targetMillis = start
  }

  /// The predicted recovery time (ms) at interval `intervalMillis` under `m`:
  /// an interval shorter than the checkpoints' duration loses as much as one
  /// of that duration (the next checkpoint waits for the running one).
  public static func predictedRecovery(intervalMillis: Double, _ m: Measurement) -> Double {
    let lost = (Swift.max(intervalMillis, m.checkpointMillis) + m.checkpointMillis) * ratio(m)
    return Swift.max(1, m.correction) * (m.restartDelayMillis + m.restoreMillis + lost)
  }

  /// How long replaying one millisecond of input takes: input rate over
  /// catch-up rate (0 without input).
  private static func ratio(_ m: Measurement) -> Double {
    guard m.inputRate > 0 else { return 0 }
    return m.inputRate / Swift.max(m.catchUpRate, m.inputRate, 1e-9)
  }

  /// Books `measurement` and returns the interval to use from now on.
  @discardableResult
  public mutating func update(_ measurement: Measurement) -> Int64 {
    let first = smoothed == nil
    let m = smooth(measurement)
    let lo = Double(settings.minimumMillis)
    let hi = Double(settings.maximumMillis)
    let budget =
      settings.margin * Double(settings.objectiveMillis) / Swift.max(1, m.correction)
      - m.restartDelayMillis - m.restoreMillis
    let ratio = Self.ratio(m)
    var target: Double
    if ratio == 0 {
      target = budget > 0 ? hi : lo
    } else {
      target = budget / ratio - m.checkpointMillis
    }
    objectiveMet =
      Self.predictedRecovery(intervalMillis: lo, m) <= Double(settings.objectiveMillis)
    target = Swift.min(hi, Swift.max(lo, target.isFinite ? target : lo))
    targetMillis = Int64(target.rounded())
    let current = Double(intervalMillis)
    let direction =
      target < current * (1 - settings.deadband)
      ? -1 : target > current * (1 + settings.deadband) ? 1 : 0
    if direction == 0 || direction != pendingDirection {
      pendingDirection = direction
      pendingCount = direction == 0 ? 0 : 1
    } else {
      pendingCount += 1
    }
    let predictedNow = Self.predictedRecovery(intervalMillis: current, m)
    let atRisk = predictedNow > Double(settings.objectiveMillis)
    let farBelow =
      predictedNow < settings.farBelow * settings.margin * Double(settings.objectiveMillis)
    if direction < 0 && (first || atRisk || pendingCount >= settings.confirmations) {
      intervalMillis = targetMillis
      pendingCount = 0
    } else if direction > 0 && first && !farBelow {
      // The start was chosen without measurements: the first one has nothing
      // to confirm, it moves the interval at once.
      let growth = settings.farBelow > 0 ? settings.fastGrowth : settings.maximumGrowth
      intervalMillis = Int64(Swift.min(target, current * growth).rounded())
      pendingCount = 0
    } else if direction > 0 && farBelow {
      intervalMillis = Int64(Swift.min(target, current * settings.fastGrowth).rounded())
      pendingCount = 0
    } else if direction > 0 && pendingCount >= settings.confirmations {
      intervalMillis = Int64(Swift.min(target, current * settings.maximumGrowth).rounded())
      pendingCount = 0
    }
    intervalMillis = Swift.min(
      settings.maximumMillis, Swift.max(settings.minimumMillis, intervalMillis))
    predictedRecoveryMillis = Self.predictedRecovery(intervalMillis: Double(intervalMillis), m)
    return intervalMillis
  }

  /// The moving average of the measurements, `measurement` included.
  private mutating func smooth(_ measurement: Measurement) -> Measurement {
    guard var average = smoothed else {
      smoothed = measurement
      return measurement
    }
    let a = settings.smoothing
    func mix(_ old: Double, _ new: Double) -> Double { old + a * (new - old) }
    average.inputRate = mix(average.inputRate, measurement.inputRate)
    average.catchUpRate = mix(average.catchUpRate, measurement.catchUpRate)
    average.checkpointMillis = mix(average.checkpointMillis, measurement.checkpointMillis)
    average.restoreMillis = mix(average.restoreMillis, measurement.restoreMillis)
    average.restartDelayMillis = measurement.restartDelayMillis
    average.correction = measurement.correction
    smoothed = average
    return average
  }
}
