import Foundation

extension RestoreRehearsals {
  /// Rehearses the restore of `states` (read by
  /// ``JobCheckpointSetup/readStates(of:from:)``): every keyed operator's
  /// state into scratch backends, one operator after the other. State of
  /// operators without a rehearsal (not keyed, or no state declared) is not
  /// restored.
  /// - Throws: what the restore throws (malformed snapshots, RocksDB errors).
  func rehearse(_ states: [String: [(subtask: Int, parallelism: Int, bytes: [UInt8])]]) throws
    -> RestoreRehearsal.Outcome
  {
    var outcome = RestoreRehearsal.Outcome()
    for (operatorID, parts) in states.sorted(by: { $0.key < $1.key }) {
      guard let rehearsal = rehearsal(for: operatorID) else { continue }
      let snapshots = try parts.compactMap { part -> KeyedStateSnapshot? in
        // A keyed broadcast operator stores its keyed state inside its parts.
        if part.bytes.starts(with: BroadcastSnapshotParts.magic) {
          return KeyedStateSnapshot(bytes: try BroadcastSnapshotParts(bytes: part.bytes).keyed)
        }
        return KeyedStateSnapshot.looksLikeSnapshot(part.bytes)
          ? KeyedStateSnapshot(bytes: part.bytes) : nil
      }
      guard !snapshots.isEmpty else { continue }
      outcome = outcome + (try rehearsal.run(snapshots))
    }
    return outcome
  }
}
