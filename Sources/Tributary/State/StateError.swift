/// A failure of keyed state. Each case names the state and says what to do.
public enum StateError: Error, CustomStringConvertible {
  /// A stored value could not be decoded (corrupt data or a changed type).
  case corruptValue(state: String, keyGroup: Int, underlying: CodecError)
  /// RocksDB failed.
  case storage(state: String, underlying: any Error)
  /// The same state name was declared twice with different kinds.
  case conflictingDeclaration(state: String)
  /// State was used outside of a keyed function call (no current key).
  case noCurrentKey(state: String)

  public var description: String {
    switch self {
    case .corruptValue(let state, let keyGroup, let underlying):
      return "state '\(state)' in key group \(keyGroup) cannot be decoded (\(underlying)); "
        + "the stored data is corrupt or was written with another type: restore from a "
        + "compatible checkpoint or start fresh"
    case .storage(let state, let underlying):
      return "state '\(state)': storage failed: \(underlying)"
    case .conflictingDeclaration(let state):
      return "state '\(state)' is declared twice with different kinds; use distinct names"
    case .noCurrentKey(let state):
      return "state '\(state)' was used outside of a keyed function call; use it only in "
        + "processElement, onTimer or while iterating keys"
    }
  }
}
