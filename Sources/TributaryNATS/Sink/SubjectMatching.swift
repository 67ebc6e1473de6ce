/// NATS subject matching: whether `subject` (literal tokens separated by
/// `.`) is captured by `filter`, where `*` matches one token and a final
/// `>` matches one or more. Pure.
func subject(_ subject: String, matches filter: String) -> Bool {
  let tokens = subject.split(separator: ".", omittingEmptySubsequences: false)
  let patterns = filter.split(separator: ".", omittingEmptySubsequences: false)
  for (index, pattern) in patterns.enumerated() {
    if pattern == ">" { return tokens.count > index }
    guard index < tokens.count else { return false }
    if pattern != "*" && pattern != tokens[index] { return false }
  }
  return tokens.count == patterns.count
}
