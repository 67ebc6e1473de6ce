/// Combines the watermarks and idleness of a task's input channels into the
/// task's own event time: a pure state machine (no I/O, no clock), fed by the
/// input driver and unit-tested on its own, beside ``BarrierAligner``.
///
/// Channels are grouped into logical inputs (one for a one-input operator,
/// two for a two-input operator): input 0 owns channels `0..<channelsPerInput[0]`,
/// input 1 the next `channelsPerInput[1]`, and so on.
///
/// Rules (Flink's `StatusWatermarkValve`, with inputs combined as in its
/// two-input operators):
/// - A channel's watermark never decreases: a lower one is ignored.
/// - The combined watermark is the minimum over the channels that are neither
///   idle nor ended (equivalently: the minimum over the active inputs of each
///   input's minimum over its active channels). It is emitted when it exceeds
///   the last emitted one, so emitted watermarks strictly increase.
/// - A watermark on an idle channel makes it active again.
/// - When the last active channel goes idle (or ends) while others are still
///   open, the *status valve* opens: the furthest watermark any open channel
///   reached is emitted (if it advances), then `idleness(true)`; progress made
///   while another channel held the minimum is not lost. The first channel to
///   become active again emits `idleness(false)` before any watermark.
/// - An ended channel no longer holds the watermark back. When every channel
///   has ended nothing more is emitted: the operator's end of input follows.
public struct WatermarkValve: Sendable {
  /// What the task forwards downstream, in order.
  public enum Output: Sendable, Equatable {
    /// The task's event time advanced to this watermark.
    case watermark(Int64)
    /// The task became idle (`true`) or active again (`false`).
    case idleness(Bool)
  }

  /// The number of channels of each logical input.
  public let channelsPerInput: [Int]
  private var watermarks: [Int64]
  private var idle: [Bool]
  private var ended: [Bool]
  private var inputOfChannel: [Int]
  /// The last watermark emitted (`Int64.min` before the first).
  public private(set) var emitted = Int64.min
  /// Whether `idleness(true)` was the last status emitted.
  public private(set) var isIdle = false
  /// Channels that have not ended.
  public private(set) var openChannels: Int

  /// A valve for `channelsPerInput[i]` channels on logical input `i`.
  /// - Precondition: at least one input, no negative channel count.
  public init(channelsPerInput: [Int]) {
    precondition(!channelsPerInput.isEmpty && channelsPerInput.allSatisfy { $0 >= 0 })
    self.channelsPerInput = channelsPerInput
    let count = channelsPerInput.reduce(0, +)
    watermarks = [Int64](repeating: .min, count: count)
    idle = [Bool](repeating: false, count: count)
    ended = [Bool](repeating: false, count: count)
    inputOfChannel = channelsPerInput.enumerated().flatMap { input, channels in
      [Int](repeating: input, count: channels)
    }
    openChannels = count
  }

  /// A valve for one logical input of `channelCount` channels.
  public init(channelCount: Int) { self.init(channelsPerInput: [channelCount]) }

  /// The logical input that channel `channel` belongs to.
  public func input(ofChannel channel: Int) -> Int { inputOfChannel[channel] }

  /// The watermark of logical input `input`: the minimum over its active
  /// channels, or, when all its open channels are idle, the furthest any of
  /// them reached; `Int64.max` once all its channels ended.
  public func watermark(ofInput input: Int) -> Int64 {
    let channels = inputOfChannel.indices.filter { inputOfChannel[$0] == input && !ended[$0] }
    if channels.isEmpty { return .max }
    let active = channels.filter { !idle[$0] }
    if active.isEmpty { return channels.map { watermarks[$0] }.max() ?? .min }
    return active.map { watermarks[$0] }.min() ?? .min
  }

  /// Channel `channel` delivered watermark `watermark`.
  public mutating func watermark(_ watermark: Int64, channel: Int) -> [Output] {
    guard !ended[channel] else { return [] }
    idle[channel] = false
    if watermark > watermarks[channel] { watermarks[channel] = watermark }
    return advance()
  }

  /// Channel `channel` became idle (`true`) or active (`false`).
  public mutating func idleness(_ isIdle: Bool, channel: Int) -> [Output] {
    guard !ended[channel] else { return [] }
    idle[channel] = isIdle
    return advance()
  }

  /// Channel `channel` delivered its end of input.
  public mutating func endOfInput(channel: Int) -> [Output] {
    guard !ended[channel] else { return [] }
    ended[channel] = true
    openChannels -= 1
    return openChannels > 0 ? advance() : []
  }

  private mutating func advance() -> [Output] {
    var combined = Int64.max
    var anyActive = false
    for c in watermarks.indices where !ended[c] && !idle[c] {
      anyActive = true
      combined = min(combined, watermarks[c])
    }
    var outputs: [Output] = []
    if !anyActive {
      guard openChannels > 0, !isIdle else { return [] }
      var furthest = Int64.min
      for c in watermarks.indices where !ended[c] { furthest = max(furthest, watermarks[c]) }
      if furthest > emitted {
        emitted = furthest
        outputs.append(.watermark(furthest))
      }
      isIdle = true
      outputs.append(.idleness(true))
      return outputs
    }
    if isIdle {
      isIdle = false
      outputs.append(.idleness(false))
    }
    if combined > emitted {
      emitted = combined
      outputs.append(.watermark(combined))
    }
    return outputs
  }
}
