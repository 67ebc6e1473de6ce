#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Calls `body` with a C array (`const char **`) of copies of `strings` and its length; the
/// copies live until `body` returns. For configuration calls, not hot paths.
func withCStringArray<Result, Failure: Error>(
  _ strings: [String],
  _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>?, Int32) throws(Failure) -> Result
) throws(Failure) -> Result {
  var pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) }
  defer {
    for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) }
  }
  let count = Int32(clamping: pointers.count)
  return try pointers.withUnsafeMutableBufferPointer {
    (buffer) throws(Failure) -> Result in
    try body(buffer.baseAddress, count)
  }
}

/// The strings of a C array (`const char **` with `count` entries); nil entries are skipped.
func stringsFromCArray(_ array: UnsafeMutablePointer<UnsafePointer<CChar>?>?, count: Int32)
  -> [String]
{
  guard let array, count > 0 else { return [] }
  return (0..<Int(count)).compactMap { index in array[index].map { String(cString: $0) } }
}
