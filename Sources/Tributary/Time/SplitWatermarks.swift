/// Per-split watermarks of one source subtask, as Flink's Kafka source keeps
/// them per partition: each split has its own bounded-out-of-orderness
/// generator and idleness, and the subtask's watermark is the minimum over
/// its active splits (a ``WatermarkValve`` with one channel per split), so
/// records interleaved across splits whose event times are skewed are not late.
///
/// A pure state machine: time is passed in (processing-time milliseconds),
/// and every call returns what the subtask must emit, in order (idleness
/// before the watermark it enables). Watermarks never decrease. Not
/// thread-safe: owned by one subtask.
///
/// Semantics, per split: after records with largest timestamp `t`, the
/// split's watermark is `t - maxOutOfOrderness - 1` (Flink's
/// `BoundedOutOfOrdernessWatermarks`). A split without records for
/// `idleTimeout` is idle and holds nothing back; its next record makes it
/// active again. A finished split (bounded input) holds nothing back. When
/// every split is idle, the subtask is idle; when every split finished, the
/// watermark is `Int64.max`.
public struct SplitWatermarks: Sendable {
  private var valve: WatermarkValve?
  private var largest: [Int64]
  private var lastRecord: [Int64]
  private var idle: [Bool]
  private var finished: [Bool]
  private let maxOutOfOrderness: Int64
  private let idleTimeout: Int64?
  private var reportedIdleWithoutSplits = false

  /// Watermarks for `splits` splits, each starting without records at `now`.
  /// - Parameters:
  ///   - maxOutOfOrderness: how far behind its largest timestamp a split's
  ///     records may arrive, in milliseconds (0: monotonic per split).
  ///   - idleTimeout: after this many milliseconds without records a split is
  ///     idle; `nil`: never (a split without records holds the watermark back).
  public init(splits: Int, maxOutOfOrderness: Int64, idleTimeout: Int64?, now: Int64) {
    precondition(splits >= 0 && maxOutOfOrderness >= 0)
    valve = splits > 0 ? WatermarkValve(channelCount: splits) : nil
    largest = [Int64](repeating: .min, count: splits)
    lastRecord = [Int64](repeating: now, count: splits)
    idle = [Bool](repeating: false, count: splits)
    finished = [Bool](repeating: false, count: splits)
    self.maxOutOfOrderness = maxOutOfOrderness
    self.idleTimeout = idleTimeout
  }

  /// The subtask's current watermark (`Int64.min` before any).
  public var current: Int64 { valve?.emitted ?? .min }

  /// Split `split` emitted records whose largest timestamp is `maxTimestamp`.
  public mutating func records(split: Int, maxTimestamp: Int64, now: Int64) -> [WatermarkValve
    .Output]
  {
    guard !finished[split], var valve else { return [] }
    lastRecord[split] = now
    var outputs: [WatermarkValve.Output] = []
    if idle[split] {
      idle[split] = false
      outputs += valve.idleness(false, channel: split)
    }
    if maxTimestamp > largest[split] {
      largest[split] = maxTimestamp
      let candidate = maxTimestamp &- maxOutOfOrderness &- 1
      outputs += valve.watermark(candidate, channel: split)
    }
    self.valve = valve
    return outputs
  }

  /// Processing time passed: splits silent for the idle timeout become idle.
  /// A subtask without splits is idle at once (it must not hold back the
  /// watermark of the operators it feeds).
  public mutating func tick(now: Int64) -> [WatermarkValve.Output] {
    guard var valve else {
      if reportedIdleWithoutSplits { return [] }
      reportedIdleWithoutSplits = true
      return [.idleness(true)]
    }
    guard let idleTimeout else { return [] }
    var outputs: [WatermarkValve.Output] = []
    for split in idle.indices where !idle[split] && !finished[split] {
      if now - lastRecord[split] >= idleTimeout {
        idle[split] = true
        outputs += valve.idleness(true, channel: split)
      }
    }
    self.valve = valve
    return outputs
  }

  /// Split `split` ended (bounded input): it no longer holds the watermark
  /// back; once every split ended, the watermark is `Int64.max`.
  public mutating func finish(split: Int) -> [WatermarkValve.Output] {
    guard !finished[split], var valve else { return [] }
    finished[split] = true
    var outputs = valve.endOfInput(channel: split)
    if valve.openChannels == 0 && valve.emitted < .max {
      outputs.append(.watermark(.max))
    }
    self.valve = valve
    return outputs
  }
}
