/// The keyword/value pairs handed to `PQconnectdbParams` for one URL, and the URL as it may
/// appear in error messages (password removed).
struct ConnectionParameters {
  let keywords: [String]
  let values: [String]
  /// The URL with any password replaced by `***`.
  let redactedURL: String

  /// libpq expands `dbname` (the URL or `key=value` string) in place: pairs before it are
  /// defaults the URL may override, pairs after it override the URL. The explicit timeout and
  /// UTF-8 (which the client's decoding relies on) come after it.
  init(url: String, connectTimeout: Duration) {
    keywords = ["fallback_application_name", "dbname", "connect_timeout", "client_encoding"]
    values = ["tributary", url, String(Self.wholeSeconds(connectTimeout)), "UTF8"]
    redactedURL = Self.redact(url)
  }

  /// The timeout rounded up to whole seconds, at least 1 (libpq waits forever for 0 and
  /// treats 1 as 2).
  static func wholeSeconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return max(1, seconds + (attoseconds > 0 ? 1 : 0))
  }

  /// Replaces the password of `scheme://user:password@host` and of `password=value`
  /// (query parameter or `key=value` string) with `***`.
  static func redact(_ url: String) -> String {
    var text = url
    if let scheme = text.firstRange(of: "://") {
      let authorityEnd = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
      let authority = scheme.upperBound..<authorityEnd
      if let at = text[authority].lastIndex(of: "@"),
        let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
      {
        text.replaceSubrange(text.index(after: colon)..<at, with: "***")
      }
    }
    var searchStart = text.startIndex
    while let key = text[searchStart...].firstRange(of: "password=") {
      let valueEnd =
        text[key.upperBound...].firstIndex { $0 == "&" || $0 == " " } ?? text.endIndex
      text.replaceSubrange(key.upperBound..<valueEnd, with: "***")
      searchStart = text.index(key.upperBound, offsetBy: 3)
    }
    return text
  }
}
