import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The committed files of a ``TransactionalFileSink`` in its directory:
/// `<prefix>-<subtask>-<checkpoint>.<ext>` and `<prefix>-<subtask>-end.<ext>`.
///
/// When a job resumes from checkpoint `c` although files were committed by
/// checkpoints after `c` (a timeline the job abandoned), ``moveAside(after:keepingEnd:)``
/// moves those files into a hidden folder `.superseded-<c>/` (a new
/// `.superseded-<c>-<n>/` if that exists), so nothing is deleted and the
/// directory again holds exactly the output up to `c`; the deterministic
/// replay then commits the rest once. Not thread-safe: call it before the
/// job's tasks start.
struct CommittedFiles {
  let directory: String
  let prefix: String
  let fileExtension: String

  /// The checkpoint that committed file `name` (`Int64.max` for the end of
  /// input), or `nil` when the name is not one of this sink's committed files.
  func checkpoint(ofFile name: String) -> Int64? {
    let head = prefix + "-"
    let tail = "." + fileExtension
    guard name.hasPrefix(head), name.hasSuffix(tail), name.count > head.count + tail.count else {
      return nil
    }
    let middle = name.dropFirst(head.count).dropLast(tail.count)
    let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, Int(parts[0]) != nil else { return nil }
    if parts[1] == "end" { return Int64.max }
    return Int64(parts[1])
  }

  /// Moves the files committed after checkpoint `resumed` (and the
  /// end-of-input files unless `keepingEnd`) into `.superseded-<resumed>/`,
  /// fsyncing both directories. Returns a log line naming the folder and the
  /// files, or `nil` when there was nothing to move.
  /// - Throws: ``FileSinkError`` when a file cannot be moved.
  func moveAside(after resumed: Int64, keepingEnd: Bool) throws -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let superseded = names.filter { name in
      guard let id = checkpoint(ofFile: name) else { return false }
      return id == Int64.max ? !keepingEnd : id > resumed
    }.sorted()
    guard !superseded.isEmpty else { return nil }
    var folder = ".superseded-\(resumed)"
    var attempt = 1
    while FileManager.default.fileExists(atPath: directory + "/" + folder) {
      attempt += 1
      folder = ".superseded-\(resumed)-\(attempt)"
    }
    let target = directory + "/" + folder
    do {
      try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
    } catch {
      throw FileSinkError(path: target, reason: "cannot create the folder: \(error)")
    }
    for name in superseded {
      guard rename(directory + "/" + name, target + "/" + name) == 0 else {
        throw FileSinkError(
          path: directory + "/" + name, reason: String(cString: strerror(errno)))
      }
    }
    Self.syncDirectory(target)
    Self.syncDirectory(directory)
    let shown =
      superseded.count <= 6
      ? superseded.joined(separator: ", ")
      : superseded.prefix(5).joined(separator: ", ") + ", … (\(superseded.count) files)"
    return "moved \(superseded.count) file(s) committed after checkpoint \(resumed) "
      + "(an abandoned timeline; the replay commits their records again) to \(target): \(shown)"
  }

  /// Makes renames in directory `path` durable (best effort: a directory that
  /// cannot be opened is skipped). Shared with ``TransactionalFileSink``'s commit.
  static func syncDirectory(_ path: String) {
    let handle = open(path, O_RDONLY)
    if handle >= 0 {
      fsync(handle)
      close(handle)
    }
  }
}
