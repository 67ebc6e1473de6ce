/// What one workload run measured.
struct WorkloadResult {
  var seconds: Double
  var outputRecords: Int
  var outputSum: Int64
  var extra: [String: JSONValue] = [:]
}

extension Duration {
  /// This duration in seconds.
  var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}
