/// Turns a committed sink snapshot into visible output (for example by renaming
/// pre-committed files). Idempotent: it may run again for the same snapshot
/// after a crash.
public typealias SinkCommitter = @Sendable (_ snapshot: [UInt8]) throws -> Void

/// Moves aside the output a transactional sink committed after checkpoint
/// `resumedFrom` (0: the job starts from scratch), before a run that resumes
/// from it starts, so that the deterministic replay commits those records
/// exactly once. With `resumedFinished` (the checkpoint is a finished job's
/// final one) the output of the end of input stays. Moves, never deletes.
/// Returns a line for the job's log describing what was moved, or `nil` when
/// nothing was. Idempotent.
public typealias SinkSuperseder =
  @Sendable (_ resumedFrom: Int64, _ resumedFinished: Bool) throws -> String?

/// How the job drives a transactional (two-phase-commit) sink across
/// checkpoints and restores: ``commit`` after a checkpoint completed (and for
/// the restored checkpoint when a run starts), ``supersede`` once before a
/// run starts, for the checkpoint it resumes from.
public struct SinkTransactions: Sendable {
  /// Makes a completed checkpoint's transactions visible.
  public var commit: SinkCommitter
  /// Moves aside output of an abandoned timeline (see ``SinkSuperseder``).
  public var supersede: SinkSuperseder

  /// Bundles the two hooks.
  public init(commit: @escaping SinkCommitter, supersede: @escaping SinkSuperseder) {
    self.commit = commit
    self.supersede = supersede
  }
}
