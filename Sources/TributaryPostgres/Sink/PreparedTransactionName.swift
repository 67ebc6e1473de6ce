/// The name of a prepared transaction of a PostgreSQL sink:
/// `tributary:<job>:<sink>:<subtask>:<checkpoint>` (`end` for the
/// transaction of the end of input). The name is what recovery recognises a
/// sink's transactions by, so job and sink names are kept free of `:`.
struct PreparedTransactionName: Equatable, Sendable {
  /// The checkpoint whose barrier prepared it; `nil` for the end of input.
  var checkpoint: Int64?
  var subtask: Int

  /// `tributary:<job>:<sink>:`, the prefix of every name of one sink of one job.
  static func prefix(job: String, sink: String) -> String {
    "tributary:\(clean(job)):\(clean(sink)):"
  }

  func name(prefix: String) -> String {
    "\(prefix)\(subtask):\(checkpoint.map(String.init) ?? "end")"
  }

  /// Parses a name with `prefix`; `nil` for names of other jobs or sinks.
  init?(parsing name: String, prefix: String) {
    guard name.hasPrefix(prefix) else { return nil }
    let parts = name.dropFirst(prefix.count).split(separator: ":")
    guard parts.count == 2, let subtask = Int(parts[0]) else { return nil }
    if parts[1] == "end" {
      checkpoint = nil
    } else if let id = Int64(parts[1]) {
      checkpoint = id
    } else {
      return nil
    }
    self.subtask = subtask
  }

  init(checkpoint: Int64?, subtask: Int) {
    self.checkpoint = checkpoint
    self.subtask = subtask
  }

  /// Whether a run resuming from checkpoint `resumedFrom` must roll this
  /// transaction back: it belongs to a later checkpoint (never completed in
  /// the timeline resumed), or to an end of input the resumed run replays.
  func isSuperseded(resumedFrom: Int64, resumedFinished: Bool) -> Bool {
    guard let checkpoint else { return !resumedFinished }
    return checkpoint > resumedFrom
  }

  private static func clean(_ part: String) -> String {
    String(part.map { $0 == ":" || $0 == "'" ? "_" : $0 })
  }
}
