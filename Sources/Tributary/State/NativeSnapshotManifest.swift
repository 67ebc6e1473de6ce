import Foundation
import RocksDB
import TributaryCodec

/// The description of a native (incremental RocksDB) snapshot of one keyed
/// subtask: which state id holds which declared state, and the local names
/// of its files, in the order of the snapshot's file references.
///
/// Format: magic "TNS1", state count (varint), per state id (UInt16 BE),
/// name and kind (strings); file count (varint), per file its name.
/// Decoding never traps: malformed bytes throw ``StateError``.
struct NativeSnapshotManifest: Equatable {
  var states: [IncrementalRocksDBSnapshots.StateLayout]
  var fileNames: [String]

  static let magic: [UInt8] = Array("TNS1".utf8)

  func encoded() -> [UInt8] {
    var writer = BinaryWriter(capacity: 256)
    writer.writeRaw(Self.magic)
    writer.writeVarUInt(UInt64(states.count))
    for state in states {
      writer.writeFixed(state.id)
      state.name.encode(to: &writer)
      state.kind.encode(to: &writer)
    }
    writer.writeVarUInt(UInt64(fileNames.count))
    for name in fileNames { name.encode(to: &writer) }
    return writer.bytes
  }

  init(states: [IncrementalRocksDBSnapshots.StateLayout], fileNames: [String]) {
    self.states = states
    self.fileNames = fileNames
  }

  init(decoding bytes: [UInt8]) throws {
    var reader = BinaryReader(bytes)
    do throws(CodecError) {
      guard Array(try reader.readRaw(count: 4, for: "manifest header")) == Self.magic else {
        throw CodecError.invalid(type: "NativeSnapshotManifest", reason: "bad magic")
      }
      states = []
      for _ in 0..<(try reader.readVarUInt()) {
        let id = try reader.readFixed(UInt16.self)
        states.append(
          .init(
            id: id, name: try String.decode(from: &reader), kind: try String.decode(from: &reader)))
      }
      fileNames = []
      for _ in 0..<(try reader.readVarUInt()) { fileNames.append(try String.decode(from: &reader)) }
    } catch {
      throw StateError.corruptValue(state: "(snapshot manifest)", keyGroup: -1, underlying: error)
    }
  }

  /// Reads the native snapshot whose files are at `files` (same order as
  /// ``fileNames``) and returns it in the portable ``KeyedStateSnapshot``
  /// format, so it restores into either backend and any parallelism. The
  /// files are linked (SST files, immutable) or copied into a scratch
  /// directory under `scratchParent`, opened there, and left untouched.
  func portableSnapshot(files: [URL], scratchParent: String) throws -> KeyedStateSnapshot {
    guard files.count == fileNames.count else {
      throw StateError.storage(
        state: "(snapshot manifest)",
        underlying: RocksDBError(
          operation: "restore",
          message: "the manifest names \(fileNames.count) files, the checkpoint has \(files.count)")
      )
    }
    let manager = FileManager.default
    let scratch = scratchParent + "/tributary-restore-\(UUID().uuidString)"
    try manager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? manager.removeItem(atPath: scratch) }
    for (name, file) in zip(fileNames, files) {
      let target = scratch + "/" + name
      if name.hasSuffix(".sst"), (try? manager.linkItem(atPath: file.path, toPath: target)) != nil {
        continue
      }
      try manager.copyItem(atPath: file.path, toPath: target)
    }
    let db: RocksDB
    do {
      db = try RocksDB(path: scratch, options: RocksDBOptions(createIfMissing: false))
    } catch {
      throw StateError.storage(state: "(snapshot)", underlying: error)
    }
    defer { db.close() }
    var entries: [UInt16: (count: Int, writer: BinaryWriter)] = [:]
    do {
      let iterator = try db.makeIterator()
      iterator.seekToFirst()
      while iterator.isValid {
        let key = iterator.key()
        guard key.count >= 4 else {
          throw RocksDBError(operation: "restore", message: "stored key shorter than 4 bytes")
        }
        let id = UInt16(key[2]) << 8 | UInt16(key[3])
        var slot = entries[id] ?? (0, BinaryWriter(capacity: 1_024))
        slot.writer.writeFixed(UInt16(key[0]) << 8 | UInt16(key[1]))
        slot.writer.writeLengthPrefixed(key[4...])
        slot.writer.writeLengthPrefixed([UInt8]())
        slot.writer.writeLengthPrefixed(iterator.value())
        slot.count += 1
        entries[id] = slot
        iterator.next()
      }
      try iterator.checkError()
    } catch let error as StateError { throw error } catch {
      throw StateError.storage(state: "(snapshot)", underlying: error)
    }
    var writer = BinaryWriter(capacity: 4_096)
    writer.writeRaw(KeyedStateSnapshot.magic)
    writer.writeVarUInt(UInt64(states.count))
    for state in states {
      state.name.encode(to: &writer)
      state.kind.encode(to: &writer)
      let slot = entries[state.id]
      writer.writeVarUInt(UInt64(slot?.count ?? 0))
      if let slot { writer.writeRaw(slot.writer.bytes) }
    }
    return KeyedStateSnapshot(bytes: writer.bytes)
  }
}
