import Testing

@testable import RocksDB

@Test func errorNamesOperation() {
  #expect(RocksDBError(operation: "open /x", message: "IO error").description.contains("open /x"))
}
