import Foundation

/// The on-disk format of `_metadata`: a one-line text header followed by the
/// JSON encoding of ``CheckpointMetadata``:
///
/// ```
/// TRIBUTARY-CHECKPOINT-METADATA v1 bytes=<JSON length> crc32c=<8 hex digits>\n
/// {"id":7,"kind":"checkpoint",...}
/// ```
///
/// The header's length detects truncation, its CRC-32C detects edits and bit
/// rot, so a damaged file is reported as damaged, never half-decoded. Pure
/// functions apart from ``read(directory:)``; safe from any thread.
enum CheckpointMetadataFile {
  static let magic = "TRIBUTARY-CHECKPOINT-METADATA"
  static let version = 1
  /// The header is short; anything longer without a newline is not ours.
  private static let maximumHeaderLength = 128

  /// What reading a checkpoint's `_metadata` found.
  enum Outcome {
    /// No `_metadata`: the checkpoint was never committed.
    case missing
    /// An intact metadata file.
    case intact(CheckpointMetadata)
    /// A `_metadata` that is truncated, edited or undecodable, and why.
    case damaged(String)
  }

  /// The bytes of a `_metadata` file for `metadata`.
  static func encode(_ metadata: CheckpointMetadata) throws(CheckpointStorageError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json: [UInt8]
    do {
      json = [UInt8](try encoder.encode(metadata))
    } catch {
      throw .metadataEncodingFailed(id: metadata.id, reason: String(describing: error))
    }
    let header =
      "\(magic) v\(version) bytes=\(json.count) crc32c=\(CRC32C.hex(CRC32C.checksum(json)))\n"
    return Array(header.utf8) + json
  }

  /// Decodes a `_metadata` file, or says why it cannot be trusted.
  static func decode(_ bytes: [UInt8]) -> Result<CheckpointMetadata, DecodeFailure> {
    if bytes.isEmpty {
      return .failure(DecodeFailure("_metadata is empty (truncated while being written?)"))
    }
    guard let newline = bytes.prefix(maximumHeaderLength).firstIndex(of: UInt8(ascii: "\n")),
      let header = String(validating: bytes[..<newline], as: UTF8.self)
    else {
      return .failure(
        DecodeFailure(
          "_metadata has no valid header line (not written by Tributary, or overwritten)"))
    }
    let fields = header.split(separator: " ")
    guard fields.count == 4, fields[0] == magic, fields[2].hasPrefix("bytes="),
      fields[3].hasPrefix("crc32c=0x"),
      let length = Int(fields[2].dropFirst("bytes=".count)),
      let checksum = UInt32(fields[3].dropFirst("crc32c=0x".count), radix: 16)
    else {
      return .failure(DecodeFailure("_metadata header '\(header)' is malformed"))
    }
    guard fields[1] == "v\(version)" else {
      return .failure(
        DecodeFailure(
          "_metadata has format \(fields[1]); this version of Tributary reads v\(version)"))
    }
    let json = Array(bytes[(newline + 1)...])
    guard json.count == length else {
      return .failure(
        DecodeFailure(
          "_metadata is \(json.count < length ? "truncated" : "longer than recorded"): header says "
            + "\(length) bytes of JSON, file has \(json.count)"))
    }
    let actual = CRC32C.checksum(json)
    guard actual == checksum else {
      return .failure(
        DecodeFailure(
          "_metadata checksum mismatch (recorded \(CRC32C.hex(checksum)), content has "
            + "\(CRC32C.hex(actual))): the file was edited or corrupted"))
    }
    do {
      return .success(try JSONDecoder().decode(CheckpointMetadata.self, from: Data(json)))
    } catch {
      return .failure(DecodeFailure("_metadata JSON cannot be decoded: \(error)"))
    }
  }

  /// Reads `<directory>/_metadata`. Throws only for I/O errors other than
  /// the file not existing.
  static func read(directory path: String) throws(CheckpointStorageError) -> Outcome {
    guard let bytes = try DurableFileIO.readFile(path + "/" + CheckpointLayout.metadataFileName)
    else { return .missing }
    switch decode(bytes) {
    case .success(let metadata): return .intact(metadata)
    case .failure(let failure): return .damaged(failure.reason)
    }
  }

  /// Why a metadata file was rejected.
  struct DecodeFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }
}
