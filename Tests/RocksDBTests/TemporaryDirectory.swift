import Foundation

/// Runs `body` with a fresh, empty temporary directory that is removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("tributary-rocksdb-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try await body(path)
}

/// `value` as 8 big-endian bytes, so byte order matches numeric order.
func bigEndianKey(_ value: UInt64) -> [UInt8] {
  withUnsafeBytes(of: value.bigEndian) { [UInt8]($0) }
}

/// `value` as 8 little-endian bytes.
func int64Bytes(_ value: Int64) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { [UInt8]($0) }
}

/// Decodes 8 little-endian bytes (nil unless exactly 8 bytes).
func int64Value(_ bytes: [UInt8]?) -> Int64? {
  guard let bytes, bytes.count == 8 else { return nil }
  return bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
}
