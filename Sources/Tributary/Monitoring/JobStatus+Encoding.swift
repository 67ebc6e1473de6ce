// Explicit encoders for the monitoring views: synthesized `Encodable` leaves
// out `nil` properties, while the REST API promises every field, as `null`
// when it has no value (a watermark before the first one, a duration of a
// checkpoint still in progress).

extension JobStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(state, forKey: .state)
    try c.encode(startedAt, forKey: .startedAt)
    try c.encode(durationMs, forKey: .durationMs)
    try c.encode(error, forKey: .error)
    try c.encode(restarts, forKey: .restarts)
    try c.encode(checkpointing, forKey: .checkpointing)
    try c.encode(vertices, forKey: .vertices)
    try c.encode(edges, forKey: .edges)
  }
}

extension VertexStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(name, forKey: .name)
    try c.encode(parallelism, forKey: .parallelism)
    try c.encode(recordsIn, forKey: .recordsIn)
    try c.encode(recordsOut, forKey: .recordsOut)
    try c.encode(recordsInPerSecond, forKey: .recordsInPerSecond)
    try c.encode(recordsOutPerSecond, forKey: .recordsOutPerSecond)
    try c.encode(busyRatio, forKey: .busyRatio)
    try c.encode(idleRatio, forKey: .idleRatio)
    try c.encode(backpressureRatio, forKey: .backpressureRatio)
    try c.encode(watermarkMs, forKey: .watermarkMs)
    try c.encode(subtasks, forKey: .subtasks)
    try c.encode(operators, forKey: .operators)
  }
}

extension SubtaskStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(index, forKey: .index)
    try c.encode(recordsIn, forKey: .recordsIn)
    try c.encode(recordsOut, forKey: .recordsOut)
    try c.encode(recordsInPerSecond, forKey: .recordsInPerSecond)
    try c.encode(recordsOutPerSecond, forKey: .recordsOutPerSecond)
    try c.encode(busyRatio, forKey: .busyRatio)
    try c.encode(idleRatio, forKey: .idleRatio)
    try c.encode(backpressureRatio, forKey: .backpressureRatio)
    try c.encode(watermarkMs, forKey: .watermarkMs)
    try c.encode(idle, forKey: .idle)
  }
}

extension OperatorStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(recordsIn, forKey: .recordsIn)
    try c.encode(recordsOut, forKey: .recordsOut)
    try c.encode(watermarkMs, forKey: .watermarkMs)
  }
}

extension EdgeStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(from, forKey: .from)
    try c.encode(to, forKey: .to)
    try c.encode(partitioning, forKey: .partitioning)
    try c.encode(sideOutput, forKey: .sideOutput)
  }
}

extension CheckpointsStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(counts, forKey: .counts)
    try c.encode(latestCompleted, forKey: .latestCompleted)
    try c.encode(history, forKey: .history)
  }
}

extension CheckpointEntry {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(status, forKey: .status)
    try c.encode(isSavepoint, forKey: .isSavepoint)
    try c.encode(triggerTime, forKey: .triggerTime)
    try c.encode(durationMs, forKey: .durationMs)
    try c.encode(sizeBytes, forKey: .sizeBytes)
    try c.encode(alignmentMsMax, forKey: .alignmentMsMax)
    try c.encode(syncMsMax, forKey: .syncMsMax)
    try c.encode(asyncMsMax, forKey: .asyncMsMax)
    try c.encode(failure, forKey: .failure)
    try c.encode(path, forKey: .path)
  }
}

extension ExceptionEntry {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(time, forKey: .time)
    try c.encode(rootCause, forKey: .rootCause)
    try c.encode(operatorName, forKey: .operatorName)
    try c.encode(subtask, forKey: .subtask)
    try c.encode(message, forKey: .message)
    try c.encode(restarted, forKey: .restarted)
  }
}

extension JobConfigurationStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(parallelism, forKey: .parallelism)
    try c.encode(maxParallelism, forKey: .maxParallelism)
    try c.encode(batchSize, forKey: .batchSize)
    try c.encode(channelCapacity, forKey: .channelCapacity)
    try c.encode(stateBackend, forKey: .stateBackend)
    try c.encode(stateDirectory, forKey: .stateDirectory)
    try c.encode(restartStrategy, forKey: .restartStrategy)
    try c.encode(checkpointing, forKey: .checkpointing)
  }
}

extension CheckpointingStatus {
  /// Encodes every field; absent values as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(directory, forKey: .directory)
    try c.encode(intervalMs, forKey: .intervalMs)
    try c.encode(mode, forKey: .mode)
    try c.encode(timeoutMs, forKey: .timeoutMs)
    try c.encode(minPauseMs, forKey: .minPauseMs)
    try c.encode(maxConcurrent, forKey: .maxConcurrent)
    try c.encode(retained, forKey: .retained)
    try c.encode(tolerableFailures, forKey: .tolerableFailures)
  }
}
