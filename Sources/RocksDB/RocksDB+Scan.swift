extension RocksDB {
  /// Creates an iterator over keys `lower <= key < upper` (nil: unbounded), positioned on
  /// the first such entry.
  ///
  /// Thread-safe; the iterator itself is single-threaded and sees a consistent snapshot
  /// taken at creation. Throws `RocksDBError` if the database is closed.
  public func makeIterator(
    from lower: [UInt8]? = nil, to upper: [UInt8]? = nil
  ) throws(RocksDBError) -> RocksIterator {
    let handle = try openHandle("iterate")
    let native = IteratorHandle(database: handle, lower: lower, upper: upper)
    iterators.withLock { $0[ObjectIdentifier(native)] = native }
    let iterator = RocksIterator(database: self, native: native)
    iterator.seekToFirst()
    return iterator
  }

  /// Creates an iterator over the keys starting with `prefix`, positioned on the first one.
  /// Same guarantees as `makeIterator(from:to:)`.
  public func makeIterator(prefix: [UInt8]) throws(RocksDBError) -> RocksIterator {
    try makeIterator(from: prefix, to: PrefixBounds.upperBound(for: prefix))
  }

  /// All entries with keys `lower <= key < upper` (nil: unbounded), ordered by key bytes.
  ///
  /// Thread-safe; throws `RocksDBError` on a read error or a closed database.
  public func scan(
    from lower: [UInt8]?, to upper: [UInt8]?
  ) throws(RocksDBError) -> [(key: [UInt8], value: [UInt8])] {
    try Self.collect(makeIterator(from: lower, to: upper))
  }

  /// All entries whose keys start with `prefix`, ordered by key bytes.
  ///
  /// Thread-safe; throws `RocksDBError` on a read error or a closed database.
  public func scan(prefix: [UInt8]) throws(RocksDBError) -> [(key: [UInt8], value: [UInt8])] {
    try Self.collect(makeIterator(prefix: prefix))
  }

  /// Calls `body` for each entry with key `lower <= key < upper` (nil: unbounded) in key
  /// order, without copying, until it returns false. The buffers are only valid during the
  /// call.
  ///
  /// Thread-safe; rethrows `body`'s errors and throws `RocksDBError` on a read error or a
  /// closed database.
  public func scan(
    from lower: [UInt8]?, to upper: [UInt8]?,
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    try Self.visit(makeIterator(from: lower, to: upper), body)
  }

  /// Calls `body` for each entry whose key starts with `prefix`, in key order, until it
  /// returns false. Same guarantees as `scan(from:to:_:)`.
  public func scan(
    prefix: [UInt8],
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    try Self.visit(makeIterator(prefix: prefix), body)
  }

  /// Unregisters and destroys an iterator's native state unless `close()` already did.
  func releaseIterator(_ native: IteratorHandle) {
    let owned = iterators.withLock { $0.removeValue(forKey: ObjectIdentifier(native)) }
    owned?.destroy()
  }

  private static func collect(
    _ iterator: RocksIterator
  ) throws(RocksDBError) -> [(key: [UInt8], value: [UInt8])] {
    var entries: [(key: [UInt8], value: [UInt8])] = []
    while iterator.isValid {
      entries.append((iterator.key(), iterator.value()))
      iterator.next()
    }
    try iterator.checkError()
    return entries
  }

  private static func visit(
    _ iterator: RocksIterator,
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    while iterator.isValid {
      guard try body(iterator.rawKey(), iterator.rawValue()) else { return }
      iterator.next()
    }
    try iterator.checkError()
  }
}
