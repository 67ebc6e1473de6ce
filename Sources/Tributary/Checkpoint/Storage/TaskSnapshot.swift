import Foundation

/// The state one subtask of one operator contributed to a checkpoint.
///
/// Large state lives in ``files``; small things (source read positions, sink
/// transaction names, timers of a heap backend) go in ``payload`` and are stored
/// inside the checkpoint's `_metadata` itself, covered by its checksum. A plain
/// immutable value; in JSON the payload values are base64 strings.
public struct TaskSnapshot: Sendable, Hashable, Codable {
  /// The operator's stable id (the same across restarts and rescaling).
  public var operatorID: String
  /// Index of the subtask, in `0..<parallelism`.
  public var subtaskIndex: Int
  /// The operator's parallelism when the checkpoint was taken.
  public var parallelism: Int
  /// The key groups this subtask owned (inclusive), or `nil` for non-keyed
  /// operators. Used to redistribute state when restoring with another
  /// parallelism.
  public var keyGroupRange: ClosedRange<Int>?
  /// Files holding this subtask's state.
  public var files: [CheckpointFileRef]
  /// Small opaque values keyed by name.
  public var payload: [String: [UInt8]]

  /// The payload entry that holds the manifest of an operator's own files
  /// (an incremental RocksDB snapshot); the state is then in ``files``.
  public static let fileManifestKey = "file-manifest"

  /// A snapshot of one subtask.
  public init(
    operatorID: String, subtaskIndex: Int, parallelism: Int,
    keyGroupRange: ClosedRange<Int>? = nil, files: [CheckpointFileRef] = [],
    payload: [String: [UInt8]] = [:]
  ) {
    self.operatorID = operatorID
    self.subtaskIndex = subtaskIndex
    self.parallelism = parallelism
    self.keyGroupRange = keyGroupRange
    self.files = files
    self.payload = payload
  }

  private enum CodingKeys: String, CodingKey {
    case operatorID, subtaskIndex, parallelism, keyGroupLower, keyGroupUpper, files, payload
  }

  /// Decodes a snapshot; fails on an inverted key-group range.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    operatorID = try container.decode(String.self, forKey: .operatorID)
    subtaskIndex = try container.decode(Int.self, forKey: .subtaskIndex)
    parallelism = try container.decode(Int.self, forKey: .parallelism)
    let lower = try container.decodeIfPresent(Int.self, forKey: .keyGroupLower)
    let upper = try container.decodeIfPresent(Int.self, forKey: .keyGroupUpper)
    switch (lower, upper) {
    case (nil, nil):
      keyGroupRange = nil
    case (let lower?, let upper?) where lower <= upper:
      keyGroupRange = lower...upper
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .keyGroupUpper, in: container,
        debugDescription: "key-group range needs lower <= upper, got \(String(describing: lower))"
          + "...\(String(describing: upper))")
    }
    files = try container.decode([CheckpointFileRef].self, forKey: .files)
    let encoded = try container.decode([String: Data].self, forKey: .payload)
    payload = encoded.mapValues { [UInt8]($0) }
  }

  /// Encodes the snapshot (payload values as `Data`, i.e. base64 in JSON).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(operatorID, forKey: .operatorID)
    try container.encode(subtaskIndex, forKey: .subtaskIndex)
    try container.encode(parallelism, forKey: .parallelism)
    try container.encodeIfPresent(keyGroupRange?.lowerBound, forKey: .keyGroupLower)
    try container.encodeIfPresent(keyGroupRange?.upperBound, forKey: .keyGroupUpper)
    try container.encode(files, forKey: .files)
    try container.encode(payload.mapValues { Data($0) }, forKey: .payload)
  }
}
