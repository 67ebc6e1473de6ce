/// The history of a checkpoint directory that its directories alone cannot
/// tell, kept in `<root>/_timeline`: the highest checkpoint or savepoint id
/// ever used, the highest one completed in the current timeline, the
/// checkpoint the current timeline started from, and the ids of abandoned
/// timelines.
///
/// A *timeline* is the sequence of checkpoints one logical run of a job
/// writes. Restoring from checkpoint `c` while the directory holds ids above
/// `c` (the newest checkpoint was unusable, or the user chose an older one
/// with `--restore-from`, or `--fresh` ignored them all) starts a new
/// timeline: ids `c+1 … highestUsedID` become *abandoned*. They are never
/// resumed from again (the job's state and committed output went another
/// way), new ids continue after `highestUsedID`, and a later crash resumes
/// from the new timeline or from `c` itself.
///
/// `highestCompletedID` lets a restart tell "nothing was ever completed here"
/// (start from scratch) from "what completed is gone or damaged" (refuse, and
/// name `--fresh`), even when a `_metadata` file was deleted.
///
/// A pure value: encoding, decoding and the rules below have no I/O;
/// ``CheckpointStorage`` reads and writes the file atomically.
public struct CheckpointTimeline: Sendable, Equatable {
  /// The checkpoint the current timeline started from.
  public struct Base: Sendable, Equatable {
    /// Its id (checkpoints and savepoints share one id space).
    public var id: Int64
    /// Its directory (absolute), which may lie outside this checkpoint root.
    public var path: String
  }

  /// The highest id of any checkpoint or savepoint directory this root ever
  /// had, complete or not; new ids start above it.
  public var highestUsedID: Int64 = 0
  /// The highest id completed in the current timeline (its base counts);
  /// 0 when nothing has completed since the timeline began from scratch.
  public var highestCompletedID: Int64 = 0
  /// Where the current timeline started; `nil` when it started from scratch.
  public var base: Base?
  /// Ids of abandoned timelines, as disjoint ranges in ascending order.
  public var abandoned: [ClosedRange<Int64>] = []

  /// An empty history: nothing used, nothing completed.
  public init() {}

  /// Whether checkpoint or savepoint `id` belongs to an abandoned timeline.
  public func isAbandoned(_ id: Int64) -> Bool {
    abandoned.contains { $0.contains(id) }
  }

  /// Starts a new timeline from checkpoint `base` (`nil`: from scratch),
  /// given the highest id present on disk: every id above the base up to the
  /// highest ever used is abandoned. Returns the newly abandoned range, if any.
  @discardableResult
  public mutating func begin(from base: Base?, highestIDOnDisk: Int64) -> ClosedRange<Int64>? {
    highestUsedID = max(highestUsedID, highestIDOnDisk)
    let start = base?.id ?? 0
    self.base = base
    highestCompletedID = start
    // The base itself is resumed from, even if an earlier timeline abandoned it.
    abandoned = abandoned.flatMap { range -> [ClosedRange<Int64>] in
      guard range.contains(start) else { return [range] }
      var parts: [ClosedRange<Int64>] = []
      if range.lowerBound < start { parts.append(range.lowerBound...(start - 1)) }
      if start < range.upperBound { parts.append((start + 1)...range.upperBound) }
      return parts
    }
    guard highestUsedID > start else { return nil }
    let range = (start + 1)...highestUsedID
    abandoned.append(range)
    abandoned = Self.merged(abandoned)
    return range
  }

  /// Records that checkpoint or savepoint `id` of the current timeline completed.
  public mutating func completed(_ id: Int64) {
    highestUsedID = max(highestUsedID, id)
    highestCompletedID = max(highestCompletedID, id)
  }

  /// Records that id `id` was used (a directory was created for it).
  public mutating func used(_ id: Int64) {
    highestUsedID = max(highestUsedID, id)
  }

  /// The file's text: one `key value…` line per fact.
  public var encoded: String {
    var lines = [
      "tributary-timeline 1", "used \(highestUsedID)", "completed \(highestCompletedID)",
    ]
    if let base { lines.append("base \(base.id) \(base.path)") }
    for range in abandoned { lines.append("abandoned \(range.lowerBound) \(range.upperBound)") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Parses ``encoded``; throws a description of the first bad line.
  public init(decoding text: String) throws(CheckpointTimelineError) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
    guard lines.popFirst() == "tributary-timeline 1" else {
      throw CheckpointTimelineError(reason: "the first line is not 'tributary-timeline 1'")
    }
    for line in lines {
      let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
      func number(_ index: Int) throws(CheckpointTimelineError) -> Int64 {
        guard index < words.count, let value = Int64(words[index]), value >= 0 else {
          throw CheckpointTimelineError(reason: "bad number in line '\(line)'")
        }
        return value
      }
      switch words.first {
      case "used": highestUsedID = try number(1)
      case "completed": highestCompletedID = try number(1)
      case "base":
        guard words.count == 3, !words[2].isEmpty else {
          throw CheckpointTimelineError(reason: "line '\(line)' lacks a path")
        }
        base = Base(id: try number(1), path: String(words[2]))
      case "abandoned":
        let low = try number(1)
        let high = try number(2)
        guard low <= high else {
          throw CheckpointTimelineError(reason: "empty range in line '\(line)'")
        }
        abandoned.append(low...high)
      default:
        throw CheckpointTimelineError(reason: "unknown line '\(line)'")
      }
    }
    abandoned = Self.merged(abandoned)
  }

  /// `ranges` sorted, with overlapping or adjacent ranges joined.
  static func merged(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
    var result: [ClosedRange<Int64>] = []
    for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
      if let last = result.last, range.lowerBound <= last.upperBound + 1 {
        result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
      } else {
        result.append(range)
      }
    }
    return result
  }
}

/// A `_timeline` file that cannot be parsed.
public struct CheckpointTimelineError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong with the file.
  public var reason: String
  /// What went wrong.
  public var description: String { "the checkpoint timeline file is damaged: \(reason)" }
}
