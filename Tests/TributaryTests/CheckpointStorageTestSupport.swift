import Foundation
import Testing

@testable import Tributary

/// A checkpoint storage in a fresh temporary directory, removed on `deinit`.
final class CheckpointStorageFixture {
  let root: URL
  private(set) var storage: CheckpointStorage

  init() throws {
    root = FileManager.default.temporaryDirectory
      .appendingPathComponent("tributary-ckpt-\(UUID().uuidString)")
    storage = try CheckpointStorage(directory: root)
  }

  deinit { try? FileManager.default.removeItem(at: root) }

  /// Simulates a restart: a new storage instance on the same directory.
  func reopen() throws { storage = try CheckpointStorage(directory: root) }

  /// The absolute URL of a path relative to the root.
  func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  func exists(_ relative: String) -> Bool {
    FileManager.default.fileExists(atPath: url(relative).path)
  }

  func contents(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url(relative)))
  }

  func overwrite(_ relative: String, with bytes: [UInt8]) throws {
    try Data(bytes).write(to: url(relative))
  }

  /// Flips one bit of the byte at `offset` (negative: from the end).
  func flipBit(in relative: String, at offset: Int) throws {
    var bytes = try contents(relative)
    let index = offset >= 0 ? offset : bytes.count + offset
    bytes[index] ^= 0x01
    try overwrite(relative, with: bytes)
  }

  /// The inode number of a file (to tell a reused file from a rewritten one).
  func inode(_ relative: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url(relative).path)
    return (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1
  }

  /// Commits checkpoint `id` with one task holding `files` and a small payload.
  @discardableResult
  func commit(
    _ id: Int64, files: [CheckpointFileRef], kind: CheckpointMetadata.Kind = .checkpoint
  ) throws -> CheckpointMetadata {
    let metadata = CheckpointMetadata(
      id: id, kind: kind, creationTimeMillis: 1_700_000_000_000 + id, maxParallelism: 128,
      tasks: [
        TaskSnapshot(
          operatorID: "window", subtaskIndex: 0, parallelism: 1, keyGroupRange: 0...127,
          files: files, payload: ["offset": Array("\(id * 100)".utf8)])
      ])
    try storage.commit(metadata)
    return metadata
  }

  /// Writes a shared file named `name` whose content is derived from `name`.
  func shared(_ name: String, checkpoint id: Int64, size: Int = 64) throws -> CheckpointFileRef {
    try storage.writeFile(
      checkpoint: id, name: name, bytes: Self.content(name, size: size), shared: true)
  }

  /// Writes a private file of checkpoint `id`.
  func privateFile(_ name: String, checkpoint id: Int64, size: Int = 32) throws
    -> CheckpointFileRef
  {
    try storage.writeFile(
      checkpoint: id, name: name, bytes: Self.content("\(id)/\(name)", size: size))
  }

  /// Deterministic bytes for a name.
  static func content(_ seed: String, size: Int) -> [UInt8] {
    var state = UInt64(
      truncatingIfNeeded: seed.utf8.reduce(14_695_981_039_346_656_037) {
        ($0 ^ UInt64($1)) &* 1_099_511_628_211
      })
    return (0..<size).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
  }
}

/// The error thrown by `body`, as a `CheckpointStorageError`, or `nil`.
func checkpointStorageError(_ body: () throws -> Void) -> CheckpointStorageError? {
  do {
    try body()
    return nil
  } catch let error as CheckpointStorageError {
    return error
  } catch {
    Issue.record("unexpected error type: \(error)")
    return nil
  }
}
