/// All detector parameters of a run, fixed before it starts (the same for
/// every sensor and every input file).
public struct DetectorSettings: Sendable {
  /// Which detectors a run uses.
  public enum Detectors: Sendable {
    /// Spike, stuck, silence, level shift and drift: made for the generator's
    /// kinds of anomaly (the default).
    case rules
    /// The context-novelty detector alone: for real series of unknown shape
    /// (the NAB files of `--input`).
    case novelty
  }

  /// Which detectors run.
  public var detectors = Detectors.rules
  /// Context novelty (``Detectors/novelty``).
  public var novelty = NoveltyDetector()
  /// EWMA z-score spikes.
  public var spike = SpikeDetector()
  /// Stuck sensors.
  public var stuck = StuckDetector()
  /// Silent sensors.
  public var silence = SilenceRule()
  /// Level shifts and drift of the window means.
  public var shift = ShiftDetector()
  /// Sliding-window size, in typical reading intervals.
  public var windowReadings: Int64 = 20
  /// Sliding-window slide, in typical reading intervals.
  public var slideReadings: Int64 = 10

  /// The demo's defaults.
  public init() {}

  /// Window size and slide in milliseconds for readings `intervalMs` apart.
  public func windowing(intervalMs: Int64) -> (size: Int64, slide: Int64) {
    let slide = max(1, intervalMs * slideReadings)
    return (slide * (windowReadings / slideReadings), slide)
  }
}
