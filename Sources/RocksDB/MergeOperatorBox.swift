import CRocksDB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Carries a Swift merge function across the C boundary as the `state` of a
/// `rocksdb_mergeoperator_t`.
///
/// Ownership: `makeNativeOperator` retains the box once; RocksDB releases it through the
/// destructor callback when the last `shared_ptr` to the operator (held by the options and
/// by the open database) goes away. Immutable, hence safe to call from RocksDB's threads.
final class MergeOperatorBox: Sendable {
  let merge: RocksDBOptions.MergeFunction
  /// NUL-terminated operator name, returned to RocksDB by the name callback.
  nonisolated(unsafe) let name: UnsafeMutablePointer<CChar>

  init(name: String, merge: @escaping RocksDBOptions.MergeFunction) {
    self.merge = merge
    self.name = strdup(name)
  }

  deinit { free(name) }

  /// Creates a RocksDB merge operator that calls this box's function. The caller must hand
  /// it to `rocksdb_options_set_merge_operator`, which takes ownership (never destroy it).
  func makeNativeOperator() -> OpaquePointer {
    let state = Unmanaged.passRetained(self).toOpaque()
    return rocksdb_mergeoperator_create(
      state,
      { state in
        guard let state else { return }
        Unmanaged<MergeOperatorBox>.fromOpaque(state).release()
      },
      {
        state, key, keyLength, existing, existingLength, operands, operandLengths, count,
        success, newLength in
        let box = Unmanaged<MergeOperatorBox>.fromOpaque(state!).takeUnretainedValue()
        let keyBytes = MergeOperatorBox.bytes(key, keyLength)
        let existingBytes = existing.map { MergeOperatorBox.bytes($0, existingLength) }
        var operandBytes: [[UInt8]] = []
        operandBytes.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
          operandBytes.append(MergeOperatorBox.bytes(operands![index], operandLengths![index]))
        }
        guard let result = box.merge(keyBytes, existingBytes, operandBytes) else {
          success!.pointee = 0
          newLength!.pointee = 0
          return nil
        }
        success!.pointee = 1
        newLength!.pointee = result.count
        return MergeOperatorBox.mallocCopy(result)
      },
      { _, _, _, _, _, _, success, newLength in
        // No partial merge: RocksDB keeps the operands and calls the full merge later.
        success!.pointee = 0
        newLength!.pointee = 0
        return nil
      },
      { _, value, _ in
        free(UnsafeMutableRawPointer(mutating: value))
      },
      { state in
        UnsafePointer(Unmanaged<MergeOperatorBox>.fromOpaque(state!).takeUnretainedValue().name)
      }
    )
  }

  /// Copies `length` bytes at `pointer` into an array (empty when `pointer` is nil).
  private static func bytes(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> [UInt8] {
    guard let pointer, length > 0 else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: pointer, count: length))
  }

  /// A malloc'd copy of `bytes` (never nil, even when empty), freed by the delete_value
  /// callback.
  private static func mallocCopy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
    let raw = malloc(max(bytes.count, 1))!
    bytes.withUnsafeBytes { source in
      if let base = source.baseAddress { raw.copyMemory(from: base, byteCount: source.count) }
    }
    return raw.assumingMemoryBound(to: CChar.self)
  }
}
