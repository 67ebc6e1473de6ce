import Foundation

/// Peak resident set size of this process (VmHWM), in bytes; 0 where unknown.
func peakResidentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return 0
  }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return kb * 1024
  }
  return 0
}
