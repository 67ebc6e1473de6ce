import Foundation

/// The machine and build a sweep ran on, for the CSV header.
enum MachineDescription {
  /// One line: CPUs, CPU model, memory, Swift version, kernel.
  static var summary: String {
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
    let swift = BenchProcess.firstLine(of: ["swift", "--version"]) ?? "Swift (version unknown)"
    let kernel = BenchProcess.firstLine(of: ["uname", "-sr"]) ?? "unknown kernel"
    return "\(cpus) CPUs (nproc), \(cpuModel), \(String(format: "%.1f", memory)) GiB RAM, "
      + "\(swift), \(kernel)"
  }

  /// The CPU model name from /proc/cpuinfo (what `lscpu` shows as "Model name").
  static var cpuModel: String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
      return "unknown CPU"
    }
    for line in info.split(separator: "\n") where line.hasPrefix("model name") {
      if let colon = line.firstIndex(of: ":") {
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return "unknown CPU"
  }

  /// `release` or `debug`.
  static var build: String {
    #if DEBUG
      return "debug"
    #else
      return "release"
    #endif
  }

  /// The git commit of the working directory (with `+changes` when it has
  /// uncommitted changes), or `unknown`.
  static var commit: String {
    guard let head = BenchProcess.firstLine(of: ["git", "rev-parse", "--short=12", "HEAD"]) else {
      return "unknown"
    }
    let dirty =
      (try? BenchProcess.run(
        "/usr/bin/env", ["git", "status", "--porcelain", "--untracked-files=no"]))?.output ?? ""
    return dirty.isEmpty ? head : head + "+changes"
  }
}
