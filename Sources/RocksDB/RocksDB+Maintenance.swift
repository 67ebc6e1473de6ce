import CRocksDB

extension RocksDB {
  /// Flushes the memtable to an SST file and waits for it, making all writes so far durable
  /// even with the WAL disabled.
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "flush") on an I/O error or a closed
  /// database.
  public func flush() throws(RocksDBError) {
    let handle = try openHandle("flush")
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_flush(handle, native.flushOptions, &error)
    try RocksDBError.check(error, "flush")
  }

  /// Compacts keys `start <= key <= end` (nil: unbounded) down the LSM tree, waiting for it.
  ///
  /// Thread-safe. RocksDB's C API reports no compaction errors; throws `RocksDBError` only
  /// for a closed database.
  public func compactRange(from start: [UInt8]? = nil, to end: [UInt8]? = nil)
    throws(RocksDBError)
  {
    let handle = try openHandle("compactRange")
    Self.withOptionalBytes(start) { start in
      Self.withOptionalBytes(end) { end in
        rocksdb_compact_range(
          handle, start?.cChars, start?.count ?? 0, end?.cChars, end?.count ?? 0)
      }
    }
  }

  /// Creates a consistent, openable copy of the database in `directory`, which must not
  /// exist yet. The memtable is flushed first (so unlogged writes are included); SST files
  /// are hard-linked when on the same file system, otherwise copied.
  ///
  /// Thread-safe. Throws `RocksDBError` (operation "checkpoint <directory>") with RocksDB's
  /// message, e.g. when `directory` exists or cannot be created, or the database is closed.
  public func createCheckpoint(at directory: String) throws(RocksDBError) {
    let operation = "checkpoint \(directory)"
    let handle = try openHandle(operation)
    var error: UnsafeMutablePointer<CChar>?
    let checkpoint = rocksdb_checkpoint_object_create(handle, &error)
    try RocksDBError.check(error, operation)
    defer { rocksdb_checkpoint_object_destroy(checkpoint) }
    // log_size_for_flush 0: always flush the memtable, as the WAL may be disabled.
    rocksdb_checkpoint_create(checkpoint, directory, 0, &error)
    try RocksDBError.check(error, operation)
  }

  /// The value of a RocksDB property such as "rocksdb.stats", or nil if RocksDB does not
  /// know it. Thread-safe; throws `RocksDBError` only for a closed database.
  public func property(_ name: String) throws(RocksDBError) -> String? {
    let handle = try openHandle("property \(name)")
    guard let value = rocksdb_property_value(handle, name) else { return nil }
    defer { rocksdb_free(value) }
    return String(cString: value)
  }

  /// The value of a numeric RocksDB property such as "rocksdb.estimate-num-keys" or
  /// "rocksdb.total-sst-files-size", or nil if it is unknown or not numeric. Thread-safe;
  /// throws `RocksDBError` only for a closed database.
  public func integerProperty(_ name: String) throws(RocksDBError) -> UInt64? {
    let handle = try openHandle("property \(name)")
    var value: UInt64 = 0
    return rocksdb_property_int(handle, name, &value) == 0 ? value : nil
  }

  /// Approximate bytes the database occupies on disk: the sum of the sizes of the regular
  /// files in its directory (SSTs, logs, manifest, options). Thread-safe; also works after
  /// `close()`. Throws `RocksDBError` (operation "disk usage <path>") if the directory cannot
  /// be listed.
  public func approximateDiskUsageBytes() throws(RocksDBError) -> UInt64 {
    try DirectorySize.regularFileBytes(in: path)
  }

  private static func withOptionalBytes<R>(
    _ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R
  ) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
  }
}
