import CTributarySupport

/// A hash map with open addressing (linear probing, backward-shift deletion)
/// for heap state.
///
/// Layout: one control byte per slot (0 = empty, else 0x80 | 7 bits of the
/// hash) in a small array that stays in cache, and entries (key next to
/// value) in a second array, so a lookup usually touches one entry cache
/// line and never a separate key or metadata array as Swift's `Dictionary`
/// does. Integer-like keys are hashed with a multiplicative (Fibonacci) hash
/// instead of the seeded `Hasher`. Not thread-safe.
public final class OpenHashMap<Key: Hashable, Value> {
  @usableFromInline
  struct Entry {
    @usableFromInline var key: Key
    @usableFromInline var value: Value
    @inlinable init(key: Key, value: Value) {
      self.key = key
      self.value = value
    }
  }

  @usableFromInline var control: UnsafeMutablePointer<UInt8>
  @usableFromInline var entries: UnsafeMutablePointer<Entry>
  @usableFromInline var capacity: Int
  @usableFromInline var mask: Int
  @usableFromInline var shift: UInt64
  @usableFromInline var storedCount = 0

  /// Number of entries.
  public var count: Int { storedCount }

  /// Creates an empty map.
  @inlinable
  public init(minimumCapacity: Int = 16) {
    var capacity = 16
    while capacity < minimumCapacity * 2 { capacity <<= 1 }
    self.capacity = capacity
    mask = capacity - 1
    shift = UInt64(64 - capacity.trailingZeroBitCount)
    control = .allocate(capacity: capacity)
    control.initialize(repeating: 0, count: capacity)
    entries = .allocate(capacity: capacity)
  }

  deinit {
    // Plain-data entries need no per-slot deinitialization (in unspecialized
    // code that loop costs a metadata lookup per slot: 2.4 % of W3's CPU at
    // 100 ms checkpoints, freeing each snapshot's frozen copy).
    if !_isPOD(Entry.self) {
      for i in 0..<capacity where control[i] != 0 { (entries + i).deinitialize(count: 1) }
    }
    control.deallocate()
    entries.deallocate()
  }

  /// The 64-bit mixed hash of `key`.
  @inlinable
  func hash(_ key: Key) -> UInt64 {
    let bits: UInt64
    if MemoryLayout<Key>.size == 8
      && (Key.self == Int64.self || Key.self == Int.self || Key.self == UInt64.self
        || Key.self == StateKey<Int64, VoidNamespace>.self
        || Key.self == StateKey<Int, VoidNamespace>.self)
    {
      bits = unsafeBitCast(key, to: UInt64.self)
    } else if MemoryLayout<Key>.size == 24
      && (Key.self == StateKey<Int64, TimeWindow>.self
        || Key.self == StateKey<Int, TimeWindow>.self)
    {
      // Window state of integer keys: mix the key and the window bounds.
      let words = unsafeBitCast(key, to: (UInt64, UInt64, UInt64).self)
      bits = words.0 ^ (words.1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (words.2 &* 0x1656_67B1_9E37_79F9)
    } else {
      bits = UInt64(bitPattern: Int64(key.hashValue))
    }
    return bits &* 0x9E37_79B9_7F4A_7C15
  }

  @inlinable func slot(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> shift) }
  @inlinable func tag(_ h: UInt64) -> UInt8 { 0x80 | UInt8(truncatingIfNeeded: h >> 1) & 0x7F }

  /// Asks the CPU to fetch the memory a lookup of `key` will touch first.
  @inlinable
  public func prefetch(_ key: Key) {
    let i = slot(hash(key))
    tributary_prefetch(control + i)
    tributary_prefetch(entries + i)
  }

  /// Asks the CPU to fetch slot `slot`'s control byte and entry.
  @inlinable
  public func prefetch(slot: Int) {
    tributary_prefetch(control + slot)
    tributary_prefetch(entries + slot)
  }

  /// The slot holding `key`, or `nil`.
  @inlinable
  func find(_ key: Key) -> Int? {
    let h = hash(key)
    let t = tag(h)
    var i = slot(h)
    while true {
      let c = control[i]
      if c == 0 { return nil }
      if c == t && entries[i].key == key { return i }
      i = (i + 1) & mask
    }
  }

  /// The value for `key`, or `nil`.
  @inlinable
  public func value(forKey key: Key) -> Value? {
    guard let i = find(key) else { return nil }
    return entries[i].value
  }

  /// Number of slots (occupied or not); slots are numbered `0..<slotCount`.
  @inlinable public var slotCount: Int { capacity }

  /// Whether slot `slot` holds an entry.
  @inlinable public func isOccupied(_ slot: Int) -> Bool { control[slot] != 0 }

  /// The key in occupied slot `slot`.
  @inlinable public func key(inSlot slot: Int) -> Key { entries[slot].key }

  /// The value in occupied slot `slot`, readable and writable in place.
  /// Slots stay valid until the next insertion or removal.
  @inlinable
  public func value(inSlot slot: Int) -> UnsafeMutablePointer<Value> {
    UnsafeMutableRawPointer(entries + slot).advanced(
      by: MemoryLayout<Entry>.offset(of: \Entry.value)!
    ).assumingMemoryBound(to: Value.self)
  }

  /// The slot holding `key`, or `nil`.
  @inlinable
  public func slot(of key: Key) -> Int? { find(key) }

  /// Stores `value` for `key`; returns whether the key was new.
  @inlinable
  @discardableResult
  public func set(_ value: Value, forKey key: Key) -> Bool {
    let h = hash(key)
    let t = tag(h)
    var i = slot(h)
    while true {
      let c = control[i]
      if c == 0 {
        control[i] = t
        (entries + i).initialize(to: Entry(key: key, value: value))
        storedCount += 1
        if storedCount * 4 > capacity * 3 { grow() }
        return true
      }
      if c == t && entries[i].key == key {
        entries[i].value = value
        return false
      }
      i = (i + 1) & mask
    }
  }

  /// Changes the value for `key` in place; `nil` in means absent, `nil` out
  /// removes. The value is moved out while `body` runs, so mutating it does not
  /// copy (copy-on-write values stay uniquely referenced).
  @inlinable
  public func modify<R>(_ key: Key, _ body: (inout Value?) throws -> R) rethrows -> R {
    if let i = find(key) {
      var value: Value? = (entries + i).move().value
      defer {
        if let value {
          (entries + i).initialize(to: Entry(key: key, value: value))
        } else {
          control[i] = 0
          storedCount -= 1
          closeHole(at: i)
        }
      }
      return try body(&value)
    }
    var value: Value?
    let result = try body(&value)
    if let value { set(value, forKey: key) }
    return result
  }

  /// Removes `key` (no-op when absent) and returns its value.
  @inlinable
  @discardableResult
  public func removeValue(forKey key: Key) -> Value? {
    guard let hole = find(key) else { return nil }
    let removed = (entries + hole).move().value
    control[hole] = 0
    storedCount -= 1
    closeHole(at: hole)
    return removed
  }

  /// Fills the empty slot `start` by shifting back later entries of its probe
  /// run whose probe path crosses it, so lookups never stop early.
  @inlinable
  func closeHole(at start: Int) {
    var hole = start
    var i = (hole + 1) & mask
    while control[i] != 0 {
      let ideal = slot(hash(entries[i].key))
      if (hole - ideal) & mask < (i - ideal) & mask {
        (entries + hole).moveInitialize(from: entries + i, count: 1)
        control[hole] = control[i]
        control[i] = 0
        hole = i
      }
      i = (i + 1) & mask
    }
  }

  /// The longest run of consecutive occupied slots (wrapping around): the
  /// furthest a lookup of an absent key can probe. Linear probing stays fast
  /// only while this stays short; it is O(`slotCount`) to compute (tests).
  func longestOccupiedRun() -> Int {
    guard storedCount < capacity else { return capacity }
    // Start just after an empty slot so that no run wraps past the start.
    var start = 0
    while control[start] != 0 { start += 1 }
    var longest = 0
    var run = 0
    for step in 1...capacity {
      if control[(start + step) & mask] != 0 {
        run += 1
        longest = max(longest, run)
      } else {
        run = 0
      }
    }
    return longest
  }

  /// Calls `body` with every entry, in storage order.
  @inlinable
  public func forEach(_ body: (Key, Value) throws -> Void) rethrows {
    for i in 0..<capacity where control[i] != 0 { try body(entries[i].key, entries[i].value) }
  }

  /// An independent copy (for snapshots taken while processing goes on).
  public func copy() -> OpenHashMap<Key, Value> {
    let clone = OpenHashMap<Key, Value>(minimumCapacity: 0)
    clone.control.deallocate()
    clone.entries.deallocate()
    clone.capacity = capacity
    clone.mask = mask
    clone.shift = shift
    clone.storedCount = storedCount
    clone.control = .allocate(capacity: capacity)
    clone.control.initialize(from: control, count: capacity)
    clone.entries = .allocate(capacity: capacity)
    if _isPOD(Entry.self) {
      // One memory copy (empty slots included: plain bytes, never read as entries).
      UnsafeMutableRawPointer(clone.entries).copyMemory(
        from: entries, byteCount: capacity * MemoryLayout<Entry>.stride)
    } else {
      for i in 0..<capacity where control[i] != 0 {
        (clone.entries + i).initialize(to: entries[i])
      }
    }
    return clone
  }

  /// Every key, in storage order.
  public var keys: [Key] {
    var keys: [Key] = []
    keys.reserveCapacity(storedCount)
    for i in 0..<capacity where control[i] != 0 { keys.append(entries[i].key) }
    return keys
  }

  /// Removes every entry.
  public func removeAll() {
    for i in 0..<capacity where control[i] != 0 {
      (entries + i).deinitialize(count: 1)
      control[i] = 0
    }
    storedCount = 0
  }

  /// Calls `body` with a pointer to the `Bool` at byte `offset` within each
  /// occupied slot's value. Walks raw memory, so it is fast even where this
  /// generic map is used unspecialized (through a protocol); `offset` must be
  /// the offset of a stored `Bool` in `Value` (`MemoryLayout.offset(of:)`).
  public func forEachValueFlag(
    atOffset offset: Int, _ body: (UnsafeMutablePointer<Bool>) -> Bool
  ) {
    let flagOffset = MemoryLayout<Entry>.offset(of: \Entry.value)! + offset
    let stride = MemoryLayout<Entry>.stride
    let base = UnsafeMutableRawPointer(entries) + flagOffset
    for slot in 0..<capacity where control[slot] != 0 {
      guard body((base + slot * stride).assumingMemoryBound(to: Bool.self)) else { return }
    }
  }

  /// Makes room for `minimumCount` entries at most half full, rehashing once.
  /// Inserting many entries into a map sized for them keeps probe runs short
  /// even when they arrive in hash order (as a restored snapshot's do; growing
  /// step by step then made restores quadratic).
  public func reserveCapacity(_ minimumCount: Int) {
    var target = capacity
    while target < minimumCount * 2 { target <<= 1 }
    if target > capacity { resize(to: target) }
  }

  @usableFromInline
  func grow() { resize(to: capacity * 2) }

  @usableFromInline
  func resize(to newCapacity: Int) {
    let oldControl = control
    let oldEntries = entries
    let oldCapacity = capacity
    capacity = newCapacity
    mask = capacity - 1
    shift = UInt64(64 - capacity.trailingZeroBitCount)
    control = .allocate(capacity: capacity)
    control.initialize(repeating: 0, count: capacity)
    entries = .allocate(capacity: capacity)
    for i in 0..<oldCapacity where oldControl[i] != 0 {
      let h = hash(oldEntries[i].key)
      var j = slot(h)
      while control[j] != 0 { j = (j + 1) & mask }
      control[j] = tag(h)
      (entries + j).moveInitialize(from: oldEntries + i, count: 1)
    }
    oldControl.deallocate()
    oldEntries.deallocate()
  }
}
