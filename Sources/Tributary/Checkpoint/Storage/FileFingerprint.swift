/// Size and CRC-32C of a file's whole content: what ``CheckpointStorage``
/// compares to decide that two files are the same. A plain value.
struct FileFingerprint: Sendable, Hashable {
  /// Length in bytes.
  var size: Int64
  /// CRC-32C of the content.
  var checksum: UInt32

  /// The fingerprint of `bytes`.
  init(of bytes: [UInt8]) {
    size = Int64(bytes.count)
    checksum = CRC32C.checksum(bytes)
  }

  /// A fingerprint with the given values.
  init(size: Int64, checksum: UInt32) {
    self.size = size
    self.checksum = checksum
  }

  /// The recorded fingerprint of a file reference.
  init(_ file: CheckpointFileRef) {
    self.init(size: file.size, checksum: file.checksum)
  }
}
