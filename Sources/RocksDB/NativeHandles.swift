import CRocksDB

/// The RocksDB option handles behind one open database, created together and freed
/// together by `destroy()` (idempotent). Not thread-safe: owned by a single `RocksDB`.
///
/// The merge operator is not listed: `rocksdb_options_set_merge_operator` moves it into a
/// `shared_ptr` owned by the options (and later by the database), so RocksDB frees it, and
/// releases its Swift box, when both the options and the database are gone.
final class NativeHandles {
  private(set) var options: OpaquePointer?
  private(set) var tableOptions: OpaquePointer?
  private(set) var blockCache: OpaquePointer?
  private(set) var readOptions: OpaquePointer?
  private(set) var writeOptions: OpaquePointer?
  private(set) var flushOptions: OpaquePointer?

  init(_ settings: RocksDBOptions) {
    let options = rocksdb_options_create()!
    let tableOptions = rocksdb_block_based_options_create()!
    let blockCache = rocksdb_cache_create_lru(max(settings.blockCacheBytes, 0))!
    rocksdb_block_based_options_set_block_cache(tableOptions, blockCache)
    if settings.bloomBitsPerKey > 0 {
      // Before the factory is made from the table options (it copies them); the
      // table options own the policy from here on.
      rocksdb_block_based_options_set_filter_policy(
        tableOptions, rocksdb_filterpolicy_create_bloom_full(settings.bloomBitsPerKey))
      // A memtable filter over whole keys, about 1/40 of the write buffer
      // (10 bits for each entry of about 50 bytes).
      rocksdb_options_set_memtable_prefix_bloom_size_ratio(options, 0.025)
      rocksdb_options_set_memtable_whole_key_filtering(options, 1)
    }
    rocksdb_options_set_block_based_table_factory(options, tableOptions)
    rocksdb_options_set_create_if_missing(options, settings.createIfMissing ? 1 : 0)
    rocksdb_options_set_write_buffer_size(options, max(settings.writeBufferBytes, 1 << 16))
    rocksdb_options_set_max_background_jobs(options, Int32(max(settings.maxBackgroundJobs, 1)))
    rocksdb_options_set_compression(options, settings.compression.nativeValue)
    if let merge = settings.mergeOperator {
      let box = MergeOperatorBox(name: settings.mergeOperatorName, merge: merge)
      rocksdb_options_set_merge_operator(options, box.makeNativeOperator())
    }
    let writeOptions = rocksdb_writeoptions_create()!
    rocksdb_writeoptions_disable_WAL(writeOptions, settings.disableWAL ? 1 : 0)
    let flushOptions = rocksdb_flushoptions_create()!
    rocksdb_flushoptions_set_wait(flushOptions, 1)

    self.options = options
    self.tableOptions = tableOptions
    self.blockCache = blockCache
    self.readOptions = rocksdb_readoptions_create()
    self.writeOptions = writeOptions
    self.flushOptions = flushOptions
  }

  deinit { destroy() }

  /// Selects the block compression used by the next `rocksdb_open`.
  func setCompression(_ compression: RocksDBOptions.Compression) {
    if let options { rocksdb_options_set_compression(options, compression.nativeValue) }
  }

  /// Frees every handle; later calls do nothing.
  func destroy() {
    if let options { rocksdb_options_destroy(options) }
    if let tableOptions { rocksdb_block_based_options_destroy(tableOptions) }
    if let blockCache { rocksdb_cache_destroy(blockCache) }
    if let readOptions { rocksdb_readoptions_destroy(readOptions) }
    if let writeOptions { rocksdb_writeoptions_destroy(writeOptions) }
    if let flushOptions { rocksdb_flushoptions_destroy(flushOptions) }
    options = nil
    tableOptions = nil
    blockCache = nil
    readOptions = nil
    writeOptions = nil
    flushOptions = nil
  }
}
