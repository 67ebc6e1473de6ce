/// Names and paths inside a checkpoint directory, in one place:
///
/// ```
/// <root>/chk-<id>/...            files private to checkpoint <id>
/// <root>/chk-<id>/_metadata      written last; its presence marks completion
/// <root>/shared/...              files referenced by several checkpoints
/// <root>/savepoints/sp-<id>/...  savepoints (never deleted by retention)
/// ```
///
/// Temporary files start with `.tmp-` and live next to their final name (or
/// in the checkpoint's private directory for shared files), so a crash leaves
/// them only where deleting the checkpoint directory removes them. Pure
/// functions; safe from any thread.
enum CheckpointLayout {
  static let metadataFileName = "_metadata"
  static let sharedDirectoryName = "shared"
  static let savepointsDirectoryName = "savepoints"
  static let temporaryPrefix = ".tmp-"

  /// `chk-<id>` or `savepoints/sp-<id>`, relative to the root.
  static func directory(kind: CheckpointMetadata.Kind, id: Int64) -> String {
    switch kind {
    case .checkpoint: return "chk-\(id)"
    case .savepoint: return "\(savepointsDirectoryName)/sp-\(id)"
    }
  }

  /// The id in a directory name `chk-<id>` / `sp-<id>` in canonical decimal form.
  static func id(inDirectoryName name: String, kind: CheckpointMetadata.Kind) -> Int64? {
    let prefix = kind == .checkpoint ? "chk-" : "sp-"
    guard name.hasPrefix(prefix), let id = Int64(name.dropFirst(prefix.count)), id >= 0,
      name == prefix + String(id)
    else { return nil }
    return id
  }

  /// Checks a file name handed to the storage; returns it unchanged.
  static func validate(name: String) throws(CheckpointStorageError) -> String {
    if let reason = problem(withRelativePath: name) {
      throw .invalidFileName(name: name, reason: reason)
    }
    if name == metadataFileName {
      throw .invalidFileName(name: name, reason: "'_metadata' is written by commit only")
    }
    return name
  }

  /// Why `path` is not a safe relative path below the root, or `nil`.
  static func problem(withRelativePath path: String) -> String? {
    if path.isEmpty { return "it is empty" }
    if path.hasPrefix("/") { return "it is absolute" }
    if path.utf8.contains(0) { return "it contains a NUL byte" }
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
      if component.isEmpty { return "it has an empty path component" }
      if component == "." || component == ".." { return "it contains '\(component)'" }
      if component.hasPrefix(".") { return "names starting with '.' are reserved" }
      if component.utf8.count > 255 { return "a component is longer than 255 bytes" }
    }
    return nil
  }

  /// Why `file` cannot belong to checkpoint `id` of `kind`, or `nil`.
  static func problem(with file: CheckpointFileRef, kind: CheckpointMetadata.Kind, id: Int64)
    -> String?
  {
    if let reason = problem(withRelativePath: file.path) {
      return "file reference '\(file.path)' is not a safe relative path (\(reason))"
    }
    if file.size < 0 { return "file \(file.path) has a negative size" }
    if file.shared {
      if !file.path.hasPrefix(sharedDirectoryName + "/") {
        return "shared file \(file.path) is not under \(sharedDirectoryName)/"
      }
    } else if !file.path.hasPrefix(directory(kind: kind, id: id) + "/") {
      return "private file \(file.path) is not under \(directory(kind: kind, id: id))/"
    }
    if file.path.hasSuffix("/" + metadataFileName) && !file.shared {
      return "file reference \(file.path) points at the metadata itself"
    }
    return nil
  }
}
