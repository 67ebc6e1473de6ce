import CNATS

/// A JetStream key-value bucket (nats.c's `kvStore`), with the compare-and-set writes
/// leases need.
///
/// Thread-safety: every member may be called from any thread; nats.c's `kvStore` is
/// internally locked. Failures: reads and writes throw `NATSError`, except that a write
/// refused because the key exists (`create`) or has another revision (`update`) returns
/// ``KeyValueWrite/rejected``. The bucket keeps its `JetStream` (and connection) alive.
public final class KeyValueBucket: @unchecked Sendable {
  /// The bucket's name.
  public let name: String
  /// The JetStream context the bucket is used through.
  public let jetStream: JetStream
  private let store: OpaquePointer

  /// Binds the bucket `name` (letters, digits, `-`, `_`), creating it (one value per key,
  /// on `storage`) when it does not exist yet.
  public init(_ jetStream: JetStream, name: String, storage: JetStreamStorage = .file)
    throws(NATSError)
  {
    var store: OpaquePointer?
    var status = js_KeyValue(&store, jetStream.context, name)
    if status == NATS_NOT_FOUND {
      var config = kvConfig()
      try NATSStatus.check(kvConfig_Init(&config), operation: "initialise bucket config")
      config.History = 1
      config.StorageType = storage == .file ? js_FileStorage : js_MemoryStorage
      status = name.withCString { bucket in
        config.Bucket = bucket
        return js_CreateKeyValue(&store, jetStream.context, &config)
      }
    }
    try NATSStatus.check(status, operation: "open key-value bucket \(name)")
    guard let store else {
      throw .status(
        operation: "open key-value bucket \(name)", code: Int(NATS_ERR.rawValue),
        text: "nats.c returned no bucket")
    }
    self.name = name
    self.jetStream = jetStream
    self.store = store
  }

  deinit { kvStore_Destroy(store) }

  /// The latest value of `key` and its revision, or `nil` when the key does not exist (or
  /// was deleted).
  public func get(_ key: String) throws(NATSError) -> (value: [UInt8], revision: UInt64)? {
    var entry: OpaquePointer?
    let status = kvStore_Get(&entry, store, key)
    if status == NATS_NOT_FOUND { return nil }
    try NATSStatus.check(status, operation: "get \(key) from bucket \(name)")
    guard let entry else { return nil }
    defer { kvEntry_Destroy(entry) }
    let length = Int(kvEntry_ValueLen(entry))
    var value = [UInt8](repeating: 0, count: length)
    if length > 0, let bytes = kvEntry_Value(entry) {
      value.withUnsafeMutableBytes {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: length))
      }
    }
    return (value, kvEntry_Revision(entry))
  }

  /// Writes `value` under `key` only if the key does not exist.
  public func create(_ key: String, value: [UInt8]) throws(NATSError) -> KeyValueWrite {
    var revision: UInt64 = 0
    let status = value.withUnsafeBytes { bytes in
      kvStore_Create(&revision, store, key, bytes.baseAddress, Int32(bytes.count))
    }
    return try outcome(status, revision: revision, operation: "create \(key) in bucket \(name)")
  }

  /// Writes `value` under `key` only if the key's latest revision is `expectedRevision`.
  public func update(_ key: String, value: [UInt8], expectedRevision: UInt64) throws(NATSError)
    -> KeyValueWrite
  {
    var revision: UInt64 = 0
    let status = value.withUnsafeBytes { bytes in
      kvStore_Update(
        &revision, store, key, bytes.baseAddress, Int32(bytes.count), expectedRevision)
    }
    return try outcome(status, revision: revision, operation: "update \(key) in bucket \(name)")
  }

  /// Deletes `key` (a delete marker; `get` then returns `nil`).
  public func delete(_ key: String) throws(NATSError) {
    try NATSStatus.check(kvStore_Delete(store, key), operation: "delete \(key) in bucket \(name)")
  }

  private func outcome(_ status: natsStatus, revision: UInt64, operation: String)
    throws(NATSError) -> KeyValueWrite
  {
    if status == NATS_OK { return .written(revision: revision) }
    let error = NATSStatus.error(status, operation: operation)
    if Self.isRevisionMismatch(status: status, error: error) { return .rejected }
    throw error
  }

  /// Whether a failed write was refused by the server's revision check (JetStream's "wrong
  /// last sequence", error 10071), rather than failing to reach it.
  static func isRevisionMismatch(status: natsStatus, error: NATSError) -> Bool {
    switch error {
    case .jetStream(_, let code, let text):
      return code == 10071 || text.lowercased().contains("wrong last sequence")
    case .status(_, _, let text):
      return text.lowercased().contains("wrong last sequence")
    default:
      return false
    }
  }
}

/// How a compare-and-set write of a ``KeyValueBucket`` ended.
public enum KeyValueWrite: Hashable, Sendable {
  /// Written; the key's new revision.
  case written(revision: UInt64)
  /// Refused: the key exists (create) or its revision is another (update).
  case rejected
}
