extension Array {
  /// Calls `body` on every element in order, moving each out of the array
  /// instead of copying it (no retain and release of the references an element
  /// holds, where `for element in array` copies every element), and leaves
  /// the array empty with its capacity kept. If `body` throws, the elements
  /// not yet taken stay in the array, in an unspecified order. A shared array
  /// is copied first, as any mutation copies it.
  @inlinable
  mutating func takeEach(_ body: (consuming Element) throws -> Void) rethrows {
    // Moving out of the front is not possible without making the array
    // forget its first elements; reversed, `popLast` takes them in order.
    withUnsafeMutableBufferPointer { $0.reverse() }
    while let element = popLast() { try body(element) }
  }

  /// Appends every element to `other` and leaves this array empty: by
  /// exchanging the two arrays when `other` is empty (no element copied),
  /// else by copying.
  @inlinable
  mutating func moveAll(onto other: inout [Element]) {
    if other.isEmpty {
      swap(&self, &other)
    } else {
      other.append(contentsOf: self)
    }
    removeAll(keepingCapacity: true)
  }
}
