import CRocksDB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An error from the plain C-API benchmark loop, carrying RocksDB's message.
struct PlainRocksDBLoopError: Error, CustomStringConvertible {
  let operation: String
  let message: String
  var description: String { "RocksDB \(operation) failed: \(message)" }
}

/// The engine-free yardstick: a read-modify-write loop straight on RocksDB's C API with the
/// same settings as the `RocksDB` wrapper's defaults (LRU block cache, block-based table,
/// lz4, 2 background jobs, WAL disabled).
///
/// For i in 0..<events: key = (i * 7919) % 1_000_000 as 8 big-endian bytes; read its Int64
/// (8 big-endian bytes, 0 when absent), add i % 100, write it back. Returns the elapsed
/// wall-clock seconds and the sum of all written values (to check against the engine).
/// `directory` must not hold a database that should be kept; it is created if missing.
func runPlainRocksDBGetPut(
  events: Int, directory: String, blockCacheBytes: Int, writeBufferBytes: Int
) throws -> (seconds: Double, checksum: Int64) {
  let options = rocksdb_options_create()
  let tableOptions = rocksdb_block_based_options_create()
  let cache = rocksdb_cache_create_lru(blockCacheBytes)
  let readOptions = rocksdb_readoptions_create()
  let writeOptions = rocksdb_writeoptions_create()
  defer {
    rocksdb_writeoptions_destroy(writeOptions)
    rocksdb_readoptions_destroy(readOptions)
    rocksdb_cache_destroy(cache)
    rocksdb_block_based_options_destroy(tableOptions)
    rocksdb_options_destroy(options)
  }
  rocksdb_block_based_options_set_block_cache(tableOptions, cache)
  rocksdb_options_set_block_based_table_factory(options, tableOptions)
  rocksdb_options_set_create_if_missing(options, 1)
  rocksdb_options_set_write_buffer_size(options, writeBufferBytes)
  rocksdb_options_set_max_background_jobs(options, 2)
  rocksdb_options_set_compression(options, Int32(rocksdb_lz4_compression))
  rocksdb_writeoptions_disable_WAL(writeOptions, 1)

  var error: UnsafeMutablePointer<CChar>?
  let db = rocksdb_open(options, directory, &error)
  try plainCheck(&error, "open \(directory)")
  defer { rocksdb_close(db) }

  let start = plainMonotonicSeconds()
  var checksum: Int64 = 0
  for i in 0..<events {
    var key = UInt64((i &* 7919) % 1_000_000).bigEndian
    var current: Int64 = 0
    var length = 0
    let stored = withUnsafeBytes(of: &key) { key in
      rocksdb_get(db, readOptions, key.baseAddress, 8, &length, &error)
    }
    try plainCheck(&error, "get")
    if let stored {
      if length == 8 {
        var bits: UInt64 = 0
        withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: .init(start: stored, count: 8)) }
        current = Int64(bitPattern: UInt64(bigEndian: bits))
      }
      rocksdb_free(stored)
    }
    let updated = current &+ Int64(i % 100)
    checksum &+= updated
    var value = UInt64(bitPattern: updated).bigEndian
    withUnsafeBytes(of: &key) { key in
      withUnsafeBytes(of: &value) { value in
        rocksdb_put(db, writeOptions, key.baseAddress, 8, value.baseAddress, 8, &error)
      }
    }
    try plainCheck(&error, "put")
  }
  return (plainMonotonicSeconds() - start, checksum)
}

/// Throws and frees RocksDB's error message if one was reported.
private func plainCheck(
  _ error: inout UnsafeMutablePointer<CChar>?, _ operation: @autoclosure () -> String
) throws {
  guard let message = error else { return }
  error = nil
  defer { rocksdb_free(message) }
  throw PlainRocksDBLoopError(operation: operation(), message: String(cString: message))
}

/// Seconds on the monotonic clock.
private func plainMonotonicSeconds() -> Double {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
