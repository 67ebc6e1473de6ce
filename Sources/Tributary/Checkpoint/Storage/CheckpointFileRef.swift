/// A file that belongs to a checkpoint, as recorded in its metadata.
///
/// `path` is relative to the checkpoint root directory (the directory given to
/// ``CheckpointStorage/init(directory:)``): `chk-<id>/<name>` for a file private
/// to a checkpoint, `savepoints/sp-<id>/<name>` for a savepoint's own file, and
/// `shared/<name>` for a file several checkpoints may reference. `size` and
/// `checksum` (CRC-32C of the whole file) are what was written and fsynced;
/// restore verifies both before trusting the file. A plain immutable value.
public struct CheckpointFileRef: Sendable, Hashable, Codable {
  /// Path relative to the checkpoint root, components separated by `/`.
  public var path: String
  /// Length in bytes.
  public var size: Int64
  /// CRC-32C of the whole content (see ``CRC32C``).
  public var checksum: UInt32
  /// Whether the file lives in `shared/` and may be referenced by several
  /// checkpoints (it is deleted only when no retained checkpoint or savepoint
  /// references it).
  public var shared: Bool

  /// A reference; normally obtained from ``CheckpointStorage`` rather than built.
  public init(path: String, size: Int64, checksum: UInt32, shared: Bool) {
    self.path = path
    self.size = size
    self.checksum = checksum
    self.shared = shared
  }
}
