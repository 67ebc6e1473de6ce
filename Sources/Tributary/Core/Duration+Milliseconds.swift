extension Duration {
  /// This duration in whole milliseconds (rounded down).
  public var milliseconds: Int64 {
    let (seconds, atto) = components
    return seconds * 1_000 + atto / 1_000_000_000_000_000
  }
}

extension Duration {
  /// This duration in whole nanoseconds (rounded down).
  public var nanoseconds: Int64 {
    let (seconds, atto) = components
    return seconds * 1_000_000_000 + atto / 1_000_000_000
  }
}
