extension Array {
  /// Calls `body` on every element in order, moving each out of the array
  /// instead of copying it (no retain and release of the references an element
  /// holds, where `for element in array` copies every element), and leaves
  /// the array empty with its capacity kept; a shared array is copied first,
  /// as any mutation copies it. Plain values (no references, so a copy costs
  /// nothing) are read in place and left there, shared or not: emptying the
  /// array cost W1 4 %, and a caller discards what a taking function leaves.
  /// If `body` throws, the elements not yet taken stay in the array, in an
  /// unspecified order.
  @inlinable
  mutating func takeEach(_ body: (consuming Element) throws -> Void) rethrows {
    if _isPOD(Element.self) {
      // A copy of a plain value costs nothing: read in place.
      for element in self { try body(element) }
      return
    }
    // Moving out of the front is not possible without making the array
    // forget its first elements; reversed, `popLast` takes them in order.
    withUnsafeMutableBufferPointer { $0.reverse() }
    // `consume`: without it the optimiser copies the element for the call
    // and destroys both (seen in Swift 6.3's release builds).
    while let element = popLast() { try body(consume element) }
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
