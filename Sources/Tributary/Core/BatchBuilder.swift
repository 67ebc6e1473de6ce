/// Builds output batches without a capacity and uniqueness check per record:
/// the hot loops of the built-in operators write straight into fresh storage.
@usableFromInline
enum BatchBuilder {
  /// An array of at most `capacity` elements, written by `fill` through `append`,
  /// which moves each element it is given into the array.
  /// Elements appended before `fill` throws are destroyed properly.
  @inlinable
  static func build<T>(
    capacity: Int, _ fill: (_ append: (consuming T) -> Void) throws -> Void
  ) rethrows -> [T] {
    try [T](unsafeUninitializedCapacity: capacity) { storage, count in
      let base = storage.baseAddress
      try fill { element in
        precondition(count < capacity, "batch builder capacity exceeded")
        (base! + count).initialize(to: consume element)
        count += 1
      }
    }
  }
}
