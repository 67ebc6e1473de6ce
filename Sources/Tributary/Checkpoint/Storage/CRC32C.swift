/// CRC-32C (Castagnoli polynomial, as used by iSCSI, ext4, RocksDB and Kafka),
/// computed in software with slicing-by-8 tables: eight bytes per step, over
/// 1 GB/s in release builds on current x86-64 and ARM cores.
///
/// It detects every burst error up to 32 bits and, for random damage, misses
/// one corruption in about four billion; it is a checksum, not a cryptographic
/// hash. A value is a plain struct: feed bytes with ``update(_:)`` in any split
/// and read ``value``; copies are independent and each is safe to use from one
/// thread at a time. `CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283`.
public struct CRC32C: Sendable, Hashable {
  private var state: UInt32 = 0xFFFF_FFFF

  /// A checksum of no bytes yet.
  public init() {}

  /// The CRC-32C of all bytes fed so far.
  public var value: UInt32 { state ^ 0xFFFF_FFFF }

  /// Feeds `buffer` (any alignment, any length, including empty).
  public mutating func update(_ buffer: UnsafeRawBufferPointer) {
    guard var pointer = buffer.baseAddress, buffer.count > 0 else { return }
    var remaining = buffer.count
    var crc = state
    Self.tables.withUnsafeBufferPointer { tables in
      let t = tables.baseAddress!
      while remaining >= 8 {
        let one = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)) ^ crc
        let two = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        crc =
          t[7 &* 256 &+ Int(one & 0xFF)] ^ t[6 &* 256 &+ Int((one >> 8) & 0xFF)]
          ^ t[5 &* 256 &+ Int((one >> 16) & 0xFF)] ^ t[4 &* 256 &+ Int(one >> 24)]
          ^ t[3 &* 256 &+ Int(two & 0xFF)] ^ t[2 &* 256 &+ Int((two >> 8) & 0xFF)]
          ^ t[1 &* 256 &+ Int((two >> 16) & 0xFF)] ^ t[Int(two >> 24)]
        pointer += 8
        remaining &-= 8
      }
      while remaining > 0 {
        let byte = pointer.load(as: UInt8.self)
        crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        pointer += 1
        remaining &-= 1
      }
    }
    state = crc
  }

  /// Feeds the bytes of `bytes`.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The CRC-32C of `bytes`.
  public static func checksum(_ bytes: [UInt8]) -> UInt32 {
    var crc = CRC32C()
    crc.update(bytes)
    return crc.value
  }

  /// `value` as `0x` and eight hex digits, for messages.
  public static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }

  /// Eight 256-entry tables; table k advances a byte through k further zero bytes.
  private static let tables: [UInt32] = {
    let polynomial: UInt32 = 0x82F6_3B78  // reflected Castagnoli
    var tables = [UInt32](repeating: 0, count: 8 * 256)
    for index in 0..<256 {
      var crc = UInt32(index)
      for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
      tables[index] = crc
    }
    for slice in 1..<8 {
      for index in 0..<256 {
        let previous = tables[(slice - 1) * 256 + index]
        tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
      }
    }
    return tables
  }()
}
