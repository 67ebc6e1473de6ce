import CRocksDB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a sorted table (SST) file that `RocksDB.ingest(files:)` can add to a database
/// without going through its memtable: the cheapest way to load many sorted entries.
///
/// Keys must be added in strictly increasing byte order (RocksDB's default comparator);
/// RocksDB refuses anything else with a `RocksDBError`. Not thread-safe: use from one
/// thread. A writer with no entries cannot be finished (RocksDB refuses empty files).
public final class SSTFileWriter {
  /// Where the file is written.
  public let path: String
  private let native: NativeHandles
  private let environment: OpaquePointer
  private let handle: OpaquePointer
  /// Entries added so far.
  public private(set) var count = 0

  /// Creates the file at `path` with the table format and compression of `options`.
  /// Throws `RocksDBError` (operation "open SST <path>") if it cannot be created.
  public init(path: String, options: RocksDBOptions = RocksDBOptions()) throws(RocksDBError) {
    self.path = path
    native = NativeHandles(options)
    environment = rocksdb_envoptions_create()
    handle = rocksdb_sstfilewriter_create(environment, native.options)
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_sstfilewriter_open(handle, path, &error)
    try RocksDBError.check(error, "open SST \(path)")
  }

  deinit {
    rocksdb_sstfilewriter_destroy(handle)
    rocksdb_envoptions_destroy(environment)
    native.destroy()
  }

  /// Adds `key` with `value`; `key` must sort after every key added before.
  public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer)
    throws(RocksDBError)
  {
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_sstfilewriter_put(
      handle, key.cChars, key.count, value.cChars, value.count, &error)
    try RocksDBError.check(error, "put into SST \(path)")
    count += 1
  }

  /// Adds a deletion of `key` (it hides older values when ingested); same order rule.
  public func delete(_ key: UnsafeRawBufferPointer) throws(RocksDBError) {
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_sstfilewriter_delete(handle, key.cChars, key.count, &error)
    try RocksDBError.check(error, "delete in SST \(path)")
    count += 1
  }

  /// Completes the file (it is then ready for ingestion).
  public func finish() throws(RocksDBError) {
    var error: UnsafeMutablePointer<CChar>?
    rocksdb_sstfilewriter_finish(handle, &error)
    try RocksDBError.check(error, "finish SST \(path)")
  }
}

extension RocksDB {
  /// Adds the finished SST files at `paths` to the database atomically, moving them into
  /// its directory (hard link, else copy). Their entries are newer than everything already
  /// in the database, so they overwrite older values of the same keys; the memtable is
  /// flushed first when it overlaps them. Thread-safe; throws `RocksDBError` (operation
  /// "ingest") with RocksDB's message, e.g. for overlapping files.
  public func ingest(files paths: [String]) throws(RocksDBError) {
    let handle = try openHandle("ingest")
    let options = rocksdb_ingestexternalfileoptions_create()
    defer { rocksdb_ingestexternalfileoptions_destroy(options) }
    rocksdb_ingestexternalfileoptions_set_move_files(options, 1)
    var error: UnsafeMutablePointer<CChar>?
    let strings = paths.map { strdup($0) }
    defer { strings.forEach { free($0) } }
    let pointers = strings.map { UnsafePointer($0) }
    pointers.withUnsafeBufferPointer { list in
      rocksdb_ingest_external_file(handle, list.baseAddress, list.count, options, &error)
    }
    try RocksDBError.check(error, "ingest")
  }
}
