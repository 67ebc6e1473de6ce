import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q3, local item suggestion: every category-10 auction whose seller
  /// lives in Oregon, Idaho or California, with the seller's name, city and
  /// state (an unbounded inner join of auctions and persons on
  /// `seller = id`; each pair is emitted once, as soon as both have arrived).
  public func q3() -> DataStream<Q3Result> {
    // The selection runs next to the source, so only matching persons and
    // auctions leave its task.
    let (sellers, items) = personsAndAuctions(
      name: "Q3Select",
      persons: { $0.state == "OR" || $0.state == "ID" || $0.state == "CA" ? $0 : nil },
      auctions: { $0.category == 10 ? $0 : nil })
    return sellers.withTimestamps { $0.dateTime }.keyBy { $0.id }
      .connect(items.withTimestamps { $0.dateTime }.keyBy { $0.seller })
      .process(name: "Q3Join", LocalItemSuggestion())
  }
}

/// The name, city and state q3 keeps of a person.
struct SellerAddress: Sendable, BinaryCodable {
  var name: String
  var city: String
  var state: String

  func encode(to writer: inout BinaryWriter) {
    name.encode(to: &writer)
    city.encode(to: &writer)
    state.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> SellerAddress {
    SellerAddress(
      name: try .decode(from: &reader), city: try .decode(from: &reader),
      state: try .decode(from: &reader))
  }
}

/// q3's join, keyed by person id: keeps the person (ids are unique, so at most
/// one) and the ids of auctions that arrived before it.
struct LocalItemSuggestion: KeyedCoProcessFunction {
  var person: ValueState<SellerAddress>!
  var waiting: ListState<Int64>!

  mutating func open(_ context: KeyedContext<Int64>) throws {
    person = try context.state(ValueStateDescriptor<SellerAddress>("q3-person"))
    waiting = try context.state(ListStateDescriptor<Int64>("q3-waiting-auctions"))
  }

  mutating func processElement1(
    _ value: Person, context: KeyedContext<Int64>, out: inout Collector<Q3Result>
  ) throws {
    let address = SellerAddress(name: value.name, city: value.city, state: value.state)
    try person.update(address)
    for auction in try waiting.get() {
      out.emit(Q3Result(name: value.name, city: value.city, state: value.state, id: auction))
    }
    try waiting.clear()
  }

  mutating func processElement2(
    _ value: Auction, context: KeyedContext<Int64>, out: inout Collector<Q3Result>
  ) throws {
    if let seller = try person.value() {
      out.emit(Q3Result(name: seller.name, city: seller.city, state: seller.state, id: value.id))
    } else {
      try waiting.add(value.id)
    }
  }
}
