/// NUL-terminated copies of Swift strings that live exactly as long as this value, for the
/// `const char * const *` parameters of libpq (`PQconnectdbParams`, `PQexecParams`).
struct CStringArray: ~Copyable {
  /// One pointer per string, `nil` where the string was `nil` (SQL NULL for parameters).
  let pointers: [UnsafePointer<CChar>?]

  /// Copies `strings`; callers reject strings with NUL bytes first (C would cut them short).
  init(_ strings: [String?]) {
    pointers = strings.map { string in
      guard let string else { return nil }
      let bytes = string.utf8CString
      let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
      bytes.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
      return UnsafePointer(copy)
    }
  }

  deinit {
    for case let pointer? in pointers { UnsafeMutablePointer(mutating: pointer).deallocate() }
  }
}

extension String {
  /// `true` when the string holds a NUL byte, which neither C strings nor PostgreSQL text
  /// can carry.
  var containsNUL: Bool { utf8.contains(0) }
}
