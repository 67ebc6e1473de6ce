import Foundation
import RocksDB

/// Collects writes for a snapshot database and applies them sorted by key,
/// in batches of bounded size: RocksDB's memtable takes keys in order much
/// faster than in random order, and flushing it then needs no sort.
/// Writes to the same key keep their order (the last one wins).
final class SnapshotBatchWriter {
  /// One collected write: where its key and value start (value -1: a
  /// delete), and the key's first 16 bytes as two big-endian words, which
  /// decide the order of most keys without touching the bytes.
  struct Write {
    var key: Int
    var keyEnd: Int
    var value: Int
    var valueEnd: Int
    var high: UInt64
    var low: UInt64
  }

  let db: RocksDB
  private var keys: [UInt8] = []
  private var values: [UInt8] = []
  private var writes: [Write] = []
  static let batchEntries = 65_536
  /// From this many writes on, they go into an SST file that is ingested,
  /// bypassing the memtable (and its flush at the next native checkpoint).
  static let ingestionThreshold = 4_096

  init(db: RocksDB) { self.db = db }

  func put(_ key: [UInt8], _ value: [UInt8]) throws {
    append(key, value: value)
  }

  func delete(_ key: [UInt8]) throws {
    append(key, value: nil)
  }

  private func append(_ key: [UInt8], value: [UInt8]?) {
    var high: UInt64 = 0
    var low: UInt64 = 0
    for index in 0..<8 { high = high << 8 | UInt64(index < key.count ? key[index] : 0) }
    for index in 8..<16 { low = low << 8 | UInt64(index < key.count ? key[index] : 0) }
    let start = keys.count
    keys.append(contentsOf: key)
    if let value {
      let valueStart = values.count
      values.append(contentsOf: value)
      writes.append(
        Write(
          key: start, keyEnd: keys.count, value: valueStart, valueEnd: values.count, high: high,
          low: low))
    } else {
      writes.append(
        Write(key: start, keyEnd: keys.count, value: -1, valueEnd: -1, high: high, low: low))
    }
  }

  /// Writes everything collected, in key order.
  func finish() throws {
    guard !writes.isEmpty else { return }
    let writes = self.writes
    var order = [Int32](0..<Int32(writes.count))
    keys.withUnsafeBytes { bytes in
      writes.withUnsafeBufferPointer { writes in
        order.sort { a, b in
          let x = writes[Int(a)]
          let y = writes[Int(b)]
          if x.high != y.high { return x.high < y.high }
          if x.low != y.low { return x.low < y.low }
          let left = x.keyEnd - x.key
          let right = y.keyEnd - y.key
          if left > 16 || right > 16 {
            let common = min(left, right) - 16
            if common > 0 {
              let compared = memcmp(
                bytes.baseAddress! + x.key + 16, bytes.baseAddress! + y.key + 16, common)
              if compared != 0 { return compared < 0 }
            }
          }
          if left != right { return left < right }
          return a < b
        }
      }
    }
    try keys.withUnsafeBytes { keyBytes in
      try values.withUnsafeBytes { valueBytes in
        func key(_ write: Write) -> UnsafeRawBufferPointer {
          UnsafeRawBufferPointer(rebasing: keyBytes[write.key..<write.keyEnd])
        }
        func value(_ write: Write) -> UnsafeRawBufferPointer? {
          write.value < 0
            ? nil : UnsafeRawBufferPointer(rebasing: valueBytes[write.value..<write.valueEnd])
        }
        if writes.count >= Self.ingestionThreshold {
          try ingest(order: order, writes: writes, key: key, value: value)
        } else {
          try writeBatches(order: order, writes: writes, key: key, value: value)
        }
      }
    }
    keys = []
    values = []
    self.writes = []
  }

  /// Writes in `order` through write batches (into the memtable).
  private func writeBatches(
    order: [Int32], writes: [Write], key: (Write) -> UnsafeRawBufferPointer,
    value: (Write) -> UnsafeRawBufferPointer?
  ) throws {
    let batch = WriteBatch()
    for index in order {
      let write = writes[Int(index)]
      if let value = value(write) {
        batch.put(key(write), value)
      } else {
        batch.delete(key(write))
      }
      if batch.count >= Self.batchEntries {
        try db.write(batch)
        batch.clear()
      }
    }
    if batch.count > 0 { try db.write(batch) }
  }

  /// Writes in `order` into one SST file and ingests it; of several writes to
  /// one key only the last is kept (an SST file holds each key once).
  private func ingest(
    order: [Int32], writes: [Write], key: (Write) -> UnsafeRawBufferPointer,
    value: (Write) -> UnsafeRawBufferPointer?
  ) throws {
    let path =
      URL(fileURLWithPath: db.path).deletingLastPathComponent().path
      + "/ingest-\(UUID().uuidString).sst"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = try SSTFileWriter(path: path, options: db.options)
    for (position, index) in order.enumerated() {
      let write = writes[Int(index)]
      if position + 1 < order.count {
        let next = writes[Int(order[position + 1])]
        if next.high == write.high && next.low == write.low
          && key(next).elementsEqual(key(write))
        {
          continue  // a later write to the same key follows
        }
      }
      if let value = value(write) {
        try file.put(key(write), value)
      } else {
        try file.delete(key(write))
      }
    }
    try file.finish()
    try db.ingest(files: [path])
  }
}
