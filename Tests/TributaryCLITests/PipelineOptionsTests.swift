import ArgumentParser
import Testing
import Tributary

@testable import TributaryCLI

/// The common pipeline options parse, default and reject as documented.
@Suite struct PipelineOptionsTests {
  @Test func defaultsToHeapWithoutStateDirectory() throws {
    let options = try PipelineOptions.parse([])
    #expect(options.jobConfiguration.parallelism == 1)
    #expect(options.stateBackendConfiguration.kind == .heap)
  }

  @Test func stateDirectorySelectsRocksDB() throws {
    let options = try PipelineOptions.parse(["--state-dir", "/tmp/x", "--state-cache-mb", "8"])
    let backend = options.stateBackendConfiguration
    #expect(backend.kind == .rocksdb)
    #expect(backend.directory == "/tmp/x")
    #expect(backend.cacheBytes == 8 << 20)
  }

  @Test func explicitBackendWins() throws {
    let options = try PipelineOptions.parse(["--state-dir", "/tmp/x", "--state-backend", "heap"])
    #expect(options.stateBackendConfiguration.kind == .heap)
  }

  @Test(arguments: [
    ["--parallelism", "0"], ["--parallelism", "500"], ["--state-backend", "leveldb"],
    ["--state-cache-mb", "-1"],
  ])
  func rejectsBadValues(arguments: [String]) {
    #expect(throws: (any Error).self) { try PipelineOptions.parse(arguments) }
  }
}
