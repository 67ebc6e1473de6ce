extension StreamEnvironment {
  /// A bounded source of the given elements. With parallelism p, subtask s
  /// emits the elements at positions s, s+p, … in order (parallelism 1 keeps
  /// the whole collection in order).
  public func fromCollection<T: Sendable>(_ elements: [T], name: String = "Collection")
    -> DataStream<T>
  {
    generate(count: elements.count, name: name) { elements[$0] }
  }
}
