import CRocksDB
import Synchronization

/// An open RocksDB database (default column family), owning every native handle it uses.
///
/// Thread-safety (the reason for `@unchecked Sendable`): reads, writes, batches, merges,
/// iterator creation, flushes, compactions, checkpoints and property reads may be called
/// concurrently from any threads, because RocksDB synchronises them internally. `close()`
/// is the exception: the owner calls it once no other call on this instance (or on its
/// iterators) is in flight. After `close()` every operation throws a `RocksDBError` whose
/// message is "database is closed". Iterators (`RocksIterator`) are single-threaded.
///
/// Failure: every RocksDB failure is thrown as `RocksDBError` with RocksDB's message verbatim.
public final class RocksDB: @unchecked Sendable {
  /// The database directory.
  public let path: String
  /// The options the database was opened with.
  public let options: RocksDBOptions
  /// The block compression actually in use: `options.compression`, or the fallback chosen
  /// because the linked librocksdb does not support it.
  public let compression: RocksDBOptions.Compression

  /// The `rocksdb_t*`, nil once closed.
  private(set) var handle: OpaquePointer?
  /// Option handles, freed by `close()`.
  let native: NativeHandles
  /// Native iterators still alive, destroyed by `close()` before the database is.
  let iterators = Mutex<[ObjectIdentifier: IteratorHandle]>([:])

  /// Opens (and, with `createIfMissing`, creates) the database at `path`.
  ///
  /// Throws `RocksDBError` (operation "open <path>") with RocksDB's message when the
  /// directory cannot be created or written, holds no database and `createIfMissing` is
  /// false, or is locked by another open instance (in this process or another). If the
  /// requested compression is not linked into librocksdb, falls back along zstd, lz4,
  /// snappy, none; `compression` reports the result.
  public init(path: String, options: RocksDBOptions = RocksDBOptions()) throws(RocksDBError) {
    let native = NativeHandles(options)
    let opened: (handle: OpaquePointer, compression: RocksDBOptions.Compression)
    do {
      opened = try Self.open(path: path, native: native, compression: options.compression)
    } catch {
      native.destroy()
      throw error
    }
    self.path = path
    self.options = options
    self.compression = opened.compression
    self.native = native
    self.handle = opened.handle
  }

  /// Calls `rocksdb_open`, retrying with cheaper codecs while RocksDB reports the requested
  /// compression as not linked into the library.
  private static func open(
    path: String, native: NativeHandles, compression requested: RocksDBOptions.Compression
  ) throws(RocksDBError) -> (handle: OpaquePointer, compression: RocksDBOptions.Compression) {
    var compression = requested
    while true {
      var error: UnsafeMutablePointer<CChar>?
      if let handle = rocksdb_open(native.options, path, &error), error == nil {
        return (handle, compression)
      }
      let failure =
        error.map { RocksDBError.consuming($0, operation: "open \(path)") }
        ?? RocksDBError(operation: "open \(path)", message: "rocksdb_open returned no database")
      guard failure.message.contains("is not linked with the binary"),
        let next = compression.fallback
      else { throw failure }
      compression = next
      native.setCompression(next)
    }
  }

  deinit { close() }

  /// Whether `close()` has been called.
  public var isClosed: Bool { handle == nil }

  /// Closes the database: destroys live iterators, the database, and every option handle
  /// (options, table options, block cache, read/write/flush options; the merge operator is
  /// released with the last of them). Idempotent and also run by `deinit`.
  ///
  /// Must not race with any other call on this instance or its iterators. RocksDB flushes
  /// unlogged memtable data on this clean close; only a crash loses writes made with the
  /// WAL disabled since the last `flush()` or checkpoint.
  public func close() {
    let live = iterators.withLock { table in
      let handles = Array(table.values)
      table.removeAll()
      return handles
    }
    for iterator in live { iterator.destroy() }
    if let handle {
      rocksdb_close(handle)
      self.handle = nil
    }
    native.destroy()
  }

  /// The open `rocksdb_t*`, or a "database is closed" error for `operation`.
  @inline(__always)
  func openHandle(_ operation: @autoclosure () -> String) throws(RocksDBError) -> OpaquePointer {
    guard let handle else { throw RocksDBError.closed(operation()) }
    return handle
  }
}
