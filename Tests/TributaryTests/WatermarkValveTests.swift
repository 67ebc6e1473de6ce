import Testing

@testable import Tributary

/// The pure watermark and idleness state machine of a task's inputs.
@Suite("WatermarkValve")
struct WatermarkValveTests {
  typealias Output = WatermarkValve.Output

  @Test("the combined watermark is the minimum over channels and only ever advances")
  func minimumOverChannels() {
    var valve = WatermarkValve(channelCount: 3)
    #expect(valve.watermark(10, channel: 0) == [])  // channels 1 and 2 still at -inf
    #expect(valve.watermark(5, channel: 1) == [])
    #expect(valve.watermark(7, channel: 2) == [.watermark(5)])
    #expect(valve.watermark(3, channel: 1) == [])  // a channel's watermark never decreases
    #expect(valve.watermark(8, channel: 1) == [.watermark(7)])
    #expect(valve.watermark(20, channel: 2) == [.watermark(8)])
    #expect(valve.emitted == 8)
  }

  @Test("two logical inputs: the minimum over both, per-input watermarks, channels grouped")
  func twoInputs() {
    var valve = WatermarkValve(channelsPerInput: [2, 1])
    #expect(valve.input(ofChannel: 0) == 0 && valve.input(ofChannel: 1) == 0)
    #expect(valve.input(ofChannel: 2) == 1)
    _ = valve.watermark(100, channel: 0)
    _ = valve.watermark(120, channel: 1)
    #expect(valve.watermark(ofInput: 0) == 100)
    #expect(valve.watermark(50, channel: 2) == [.watermark(50)])
    #expect(valve.watermark(ofInput: 1) == 50)
    #expect(valve.watermark(200, channel: 2) == [.watermark(100)])
    // Input 1 ends: only input 0 holds the watermark now.
    #expect(valve.endOfInput(channel: 2) == [])
    #expect(valve.watermark(ofInput: 1) == .max)
    #expect(valve.watermark(130, channel: 0) == [.watermark(120)])
  }

  @Test("idleness on each input: idle channels are excluded; the last one opens the status valve")
  func idlenessOnEachInput() {
    var valve = WatermarkValve(channelsPerInput: [1, 1])
    _ = valve.watermark(10, channel: 0)
    #expect(valve.watermark(40, channel: 1) == [.watermark(10)])
    // Input 0 idle: input 1 alone decides.
    #expect(valve.idleness(true, channel: 0) == [.watermark(40)])
    #expect(valve.watermark(ofInput: 0) == 10)
    #expect(valve.watermark(60, channel: 1) == [.watermark(60)])
    // Both idle: the valve reports idle (no furthest watermark beyond 60 to flush).
    #expect(valve.idleness(true, channel: 1) == [.idleness(true)])
    #expect(valve.isIdle)
    #expect(valve.idleness(true, channel: 1) == [])  // reported once
    // Input 0 wakes up with an old watermark: active again, never a step back.
    #expect(valve.watermark(15, channel: 0) == [.idleness(false)])
    #expect(valve.watermark(70, channel: 0) == [.watermark(70)])
  }

  @Test("when the last active channel goes idle, the furthest watermark reached is flushed")
  func statusValveFlushesFurthest() {
    var valve = WatermarkValve(channelCount: 2)
    _ = valve.watermark(5, channel: 0)
    #expect(valve.watermark(50, channel: 1) == [.watermark(5)])
    #expect(valve.idleness(true, channel: 1) == [])  // channel 0 (at 5) is still active
    #expect(valve.idleness(true, channel: 0) == [.watermark(50), .idleness(true)])
  }

  @Test("the end of one input releases the others; the end of all emits nothing more")
  func endOfInput() {
    var valve = WatermarkValve(channelsPerInput: [1, 1])
    _ = valve.watermark(10, channel: 0)
    #expect(valve.watermark(30, channel: 1) == [.watermark(10)])
    #expect(valve.endOfInput(channel: 0) == [.watermark(30)])
    #expect(valve.openChannels == 1)
    #expect(valve.watermark(5, channel: 0) == [], "an ended channel is ignored")
    #expect(valve.endOfInput(channel: 1) == [])
    #expect(valve.openChannels == 0)
    #expect(valve.endOfInput(channel: 1) == [], "a second end is ignored")
    // The last active channel ending while another is idle opens the valve.
    var other = WatermarkValve(channelCount: 2)
    _ = other.idleness(true, channel: 0)
    _ = other.watermark(9, channel: 1)
    #expect(other.endOfInput(channel: 1) == [.idleness(true)])
  }

  @Test("random events: emitted watermarks strictly increase and never pass a channel's own")
  func randomEventsNeverGoBack() {
    var rng = SplitMix64(seed: 77)
    for _ in 0..<200 {
      let inputs = [1 + Int(rng.next() % 3), 1 + Int(rng.next() % 3)]
      let count = inputs.reduce(0, +)
      var valve = WatermarkValve(channelsPerInput: inputs)
      var highest = [Int64](repeating: .min, count: count)
      var last = Int64.min
      var idle = false
      for _ in 0..<60 {
        let channel = Int(rng.next() % UInt64(count))
        let outputs: [Output]
        switch rng.next() % 10 {
        case 0: outputs = valve.idleness(true, channel: channel)
        case 1: outputs = valve.idleness(false, channel: channel)
        case 2 where rng.next() % 4 == 0: outputs = valve.endOfInput(channel: channel)
        default:
          let watermark = Int64(rng.next() % 1_000)
          outputs = valve.watermark(watermark, channel: channel)
          highest[channel] = max(highest[channel], watermark)
        }
        for output in outputs {
          switch output {
          case .watermark(let watermark):
            #expect(watermark > last)
            #expect(watermark <= highest.max()!)
            #expect(!idle, "no watermark while idle")
            last = watermark
          case .idleness(let isIdle):
            #expect(isIdle != idle, "status changes alternate")
            idle = isIdle
          }
        }
      }
    }
  }
}
