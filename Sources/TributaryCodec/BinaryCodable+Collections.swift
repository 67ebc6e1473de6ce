// Collections: a varint element count followed by the elements.
//
// Decoding never trusts the count: since every built-in element type encodes to
// at least one byte, a count larger than the bytes left is rejected before any
// allocation, so corrupt input cannot trigger a huge allocation. (Consequence:
// element types whose encoding can be empty, such as a Codable struct without
// stored properties, cannot be stored in these collections.)

extension Array: BinaryCodable where Element: BinaryCodable {
  /// Varint count, then each element in order.
  ///
  /// `[UInt8]` takes a fast path (one bulk copy) that produces exactly the same
  /// bytes: a varint length followed by the raw bytes.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    if Element.self == UInt8.self {
      writer.writeLengthPrefixed(unsafeBitCast(self, to: [UInt8].self))
      return
    }
    writer.writeVarUInt(UInt64(count))
    for element in self { element.encode(to: &writer) }
  }

  /// Reads a count and that many elements. A count larger than the remaining
  /// bytes throws ``CodecError/truncated(type:needed:available:)`` without allocating.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> [Element] {
    if Element.self == UInt8.self {
      let raw = try reader.readLengthPrefixed(for: "[UInt8]")
      return unsafeBitCast([UInt8](raw), to: [Element].self)
    }
    let count = try reader.readCount(for: "Array<\(Element.self)>")
    var result: [Element] = []
    result.reserveCapacity(count)
    for _ in 0..<count { result.append(try Element.decode(from: &reader)) }
    return result
  }
}

extension Dictionary: BinaryCodable where Key: BinaryCodable, Value: BinaryCodable {
  /// Varint count, then `key, value` pairs sorted by the encoded bytes of the
  /// key, so equal dictionaries always encode identically regardless of their
  /// (per-process, randomly seeded) iteration order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeVarUInt(UInt64(count))
    if count <= 1 {
      for (key, value) in self {
        key.encode(to: &writer)
        value.encode(to: &writer)
      }
      return
    }
    var keyWriter = BinaryWriter(capacity: count * 9)
    var entries: [(keyBytes: Range<Int>, index: Index)] = []
    entries.reserveCapacity(count)
    var index = startIndex
    while index != endIndex {
      let start = keyWriter.bytes.count
      self[index].key.encode(to: &keyWriter)
      entries.append((start..<keyWriter.bytes.count, index))
      formIndex(after: &index)
    }
    let keyBytes = keyWriter.bytes
    entries.sort { codecBytesPrecede(keyBytes, $0.keyBytes, $1.keyBytes) }
    for entry in entries {
      writer.writeRaw(keyBytes[entry.keyBytes])
      self[entry.index].value.encode(to: &writer)
    }
  }

  /// Reads a count and that many pairs. Throws ``CodecError/invalid(type:reason:)``
  /// when keys are not in strictly ascending byte order (duplicates or a
  /// non-canonical encoding), and ``CodecError/truncated(type:needed:available:)``
  /// for a count larger than the remaining bytes, without allocating.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError)
    -> [Key: Value]
  {
    let type = "Dictionary<\(Key.self), \(Value.self)>"
    let count = try reader.readCount(for: type)
    var result: [Key: Value] = [:]
    result.reserveCapacity(count)
    var previous = 0..<0
    for i in 0..<count {
      let start = reader.position
      let key = try Key.decode(from: &reader)
      let current = start..<reader.position
      if i > 0 && !codecBytesPrecede(reader.bytes, previous, current) {
        throw .invalid(type: type, reason: "keys not in strictly ascending byte order")
      }
      previous = current
      let value = try Value.decode(from: &reader)
      if result.updateValue(value, forKey: key) != nil {
        throw .invalid(type: type, reason: "duplicate key")
      }
    }
    return result
  }
}

extension Set: BinaryCodable where Element: BinaryCodable {
  /// Varint count, then the elements sorted by their encoded bytes, so equal
  /// sets always encode identically regardless of iteration order.
  @inlinable
  public func encode(to writer: inout BinaryWriter) {
    writer.writeVarUInt(UInt64(count))
    if count <= 1 {
      for element in self { element.encode(to: &writer) }
      return
    }
    var elementWriter = BinaryWriter(capacity: count * 9)
    var ranges: [Range<Int>] = []
    ranges.reserveCapacity(count)
    for element in self {
      let start = elementWriter.bytes.count
      element.encode(to: &elementWriter)
      ranges.append(start..<elementWriter.bytes.count)
    }
    let bytes = elementWriter.bytes
    ranges.sort { codecBytesPrecede(bytes, $0, $1) }
    for range in ranges { writer.writeRaw(bytes[range]) }
  }

  /// Reads a count and that many elements. Throws ``CodecError/invalid(type:reason:)``
  /// when elements are not in strictly ascending byte order (duplicates or a
  /// non-canonical encoding), and ``CodecError/truncated(type:needed:available:)``
  /// for a count larger than the remaining bytes, without allocating.
  @inlinable
  public static func decode(from reader: inout BinaryReader) throws(CodecError) -> Set<Element> {
    let type = "Set<\(Element.self)>"
    let count = try reader.readCount(for: type)
    var result = Set<Element>(minimumCapacity: count)
    var previous = 0..<0
    for i in 0..<count {
      let start = reader.position
      let element = try Element.decode(from: &reader)
      let current = start..<reader.position
      if i > 0 && !codecBytesPrecede(reader.bytes, previous, current) {
        throw .invalid(type: type, reason: "elements not in strictly ascending byte order")
      }
      previous = current
      if !result.insert(element).inserted {
        throw .invalid(type: type, reason: "duplicate element")
      }
    }
    return result
  }
}

/// Whether `bytes[a]` sorts strictly before `bytes[b]` (unsigned, lexicographic,
/// a proper prefix first) — the order RocksDB's default comparator uses.
@inlinable
func codecBytesPrecede(_ bytes: [UInt8], _ a: Range<Int>, _ b: Range<Int>) -> Bool {
  bytes.withUnsafeBufferPointer { buffer in
    let common = min(a.count, b.count)
    var i = 0
    while i < common {
      let x = buffer[a.lowerBound + i]
      let y = buffer[b.lowerBound + i]
      if x != y { return x < y }
      i += 1
    }
    return a.count < b.count
  }
}
