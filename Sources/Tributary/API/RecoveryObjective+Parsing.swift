/// Why command-line text did not make a ``RecoveryObjective``.
public struct RecoveryObjectiveParseError: Error, Sendable, CustomStringConvertible {
  /// What is wrong and what to write instead.
  public let description: String
}

extension RecoveryObjective {
  /// The objective `objective` with the interval bounds `minimum` and
  /// `maximum`, as written on command lines (`500ms`, `2s`, `1m`).
  ///
  /// - Throws: ``RecoveryObjectiveParseError`` naming the option
  ///   (`--recovery-objective`, `--checkpoint-min-interval`,
  ///   `--checkpoint-max-interval`) whose text is malformed, or saying what
  ///   `validate()` rejected.
  public init(parsing objective: String, minimum: String, maximum: String)
    throws(RecoveryObjectiveParseError)
  {
    func duration(_ text: String, _ option: String) throws(RecoveryObjectiveParseError)
      -> Duration
    {
      guard let millis = Interval(parsing: text)?.millisecondsValue else {
        throw RecoveryObjectiveParseError(
          description: "\(option) must look like 500ms, 2s or 1m, got '\(text)'")
      }
      return .milliseconds(millis)
    }
    self.init(
      try duration(objective, "--recovery-objective"),
      minimumInterval: try duration(minimum, "--checkpoint-min-interval"),
      maximumInterval: try duration(maximum, "--checkpoint-max-interval"))
    do { try validate() } catch { throw RecoveryObjectiveParseError(description: "\(error)") }
  }
}
