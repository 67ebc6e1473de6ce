import Foundation
import RocksDB
import Testing

@testable import Tributary

/// The four state backend configurations every keyed-state test runs against.
enum StateConfig: String, CaseIterable, Sendable, CustomTestStringConvertible {
  /// In-memory dictionaries.
  case heap
  /// RocksDB, write-back cache off: every operation goes to RocksDB.
  case rocksNoCache
  /// RocksDB with a 4 KiB cache: constant eviction.
  case rocksTinyCache
  /// RocksDB with the default (64 MiB) cache.
  case rocksDefaultCache

  static let rocksOnly: [StateConfig] = [.rocksNoCache, .rocksTinyCache, .rocksDefaultCache]

  var testDescription: String { rawValue }

  var isRocksDB: Bool { self != .heap }

  /// The backend configuration, with RocksDB directories under `directory`.
  func configuration(directory: String) -> StateBackendConfiguration {
    switch self {
    case .heap: return .heap
    case .rocksNoCache: return .rocksdb(directory: directory, cacheBytes: 0)
    case .rocksTinyCache: return .rocksdb(directory: directory, cacheBytes: 4096)
    case .rocksDefaultCache: return .rocksdb(directory: directory)
    }
  }
}

/// A keyed state backend used directly (no pipeline): a manual clock, a
/// `KeyedContext` to declare state on, and a temporary directory.
final class StateHarness<Key: BinaryCodable & Hashable> {
  let directory: URL
  let clock: ManualProcessingClock
  let operatorContext: OperatorContext
  let backend: KeyedStateBackend<Key>
  let context: KeyedContext<Key>

  init(
    _ config: StateConfig, subtask: Int = 0, parallelism: Int = 1, maxParallelism: Int = 128,
    startMillis: Int64 = 1_000_000,
    rocksDBSnapshots: StateBackendConfiguration.RocksDBSnapshots = .automatic
  ) throws {
    directory = try temporaryDirectory("tributary-state")
    clock = ManualProcessingClock(millis: startMillis)
    var stateBackend = config.configuration(directory: directory.path)
    stateBackend.rocksDBSnapshots = rocksDBSnapshots
    operatorContext = OperatorContext(
      operatorName: "state test", subtaskIndex: subtask, parallelism: parallelism,
      maxParallelism: maxParallelism, stateBackend: stateBackend, processingClock: clock)
    backend = try KeyedStateBackend<Key>(context: operatorContext)
    context = try KeyedContext(operatorContext: operatorContext, stateBackend: backend)
  }

  /// Makes `key` the current key (`nil`: no current key).
  func at(_ key: Key?) { backend.current.key = key }

  /// The RocksDB handle (fails the test for heap state).
  var db: RocksDB {
    get throws {
      try #require(backend.db)
    }
  }

  /// The keys with a value in state `name`, via `forEachKey(inState:)`.
  func visitedKeys(_ name: String) throws -> [Key] {
    var keys: [Key] = []
    try context.forEachKey(inState: name) { keys.append($0) }
    return keys
  }

  /// Sets `state` of every key in `keys` to `value(key)`.
  func update<V>(_ state: ValueState<V>, _ keys: some Sequence<Key>, _ value: (Key) -> V) throws {
    for key in keys {
      at(key)
      try state.update(value(key))
    }
  }

  /// The values `state` holds for `keys` (absent keys left out).
  func values<V>(_ state: ValueState<V>, _ keys: some Sequence<Key>) throws -> [Key: V] {
    var read: [Key: V] = [:]
    for key in keys {
      at(key)
      read[key] = try state.value()
    }
    return read
  }

  func close() {
    backend.close()
    try? FileManager.default.removeItem(at: directory)
  }
}

/// The key group of `key` (the layout's first two bytes).
func stateKeyGroup<K: BinaryCodable>(of key: K, maxParallelism: Int = 128) -> Int {
  var scratch = BinaryWriter(capacity: 32)
  return KeyGroups.keyGroup(of: key, maxParallelism: maxParallelism, scratch: &scratch)
}

/// A two-byte big-endian prefix.
func stateBigEndian(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

/// Running average of `Int` inputs; the accumulator is a sum and a count.
struct AverageAggregate: AggregateFunction {
  struct Accumulator: BinaryCodable, Equatable {
    var sum: Int64
    var count: Int64
    func encode(to writer: inout BinaryWriter) {
      sum.encode(to: &writer)
      count.encode(to: &writer)
    }
    static func decode(from reader: inout BinaryReader) throws(CodecError) -> Accumulator {
      let sum = try Int64.decode(from: &reader)
      return Accumulator(sum: sum, count: try Int64.decode(from: &reader))
    }
  }
  func createAccumulator() -> Accumulator { Accumulator(sum: 0, count: 0) }
  func add(_ value: Int, to accumulator: Accumulator) -> Accumulator {
    Accumulator(sum: accumulator.sum + Int64(value), count: accumulator.count + 1)
  }
  func result(_ accumulator: Accumulator) -> Double {
    Double(accumulator.sum) / Double(accumulator.count)
  }
  func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator {
    Accumulator(sum: a.sum + b.sum, count: a.count + b.count)
  }
}

extension RandomNumberGenerator {
  /// A uniform integer in `0..<bound`.
  mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }
}
