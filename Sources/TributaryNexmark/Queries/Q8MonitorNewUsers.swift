import Tributary

extension DataStream where T == NexmarkEvent {
  /// Nexmark q8, monitor new users: the persons who opened an auction in the
  /// same 10 s tumbling window in which they registered (a window coGroup of
  /// persons and auction sellers on `id = seller`; one row per person and window).
  public func q8() -> DataStream<Q8Result> {
    // Only the fields the join needs leave the source's task.
    let (persons, sellers) = personsAndAuctions(
      name: "Q8Project",
      persons: { NewPerson(id: $0.id, name: $0.name, dateTime: $0.dateTime) },
      auctions: { Pair($0.seller, $0.dateTime) })
    let people = persons.withTimestamps { $0.dateTime }
    return people.coGroup(sellers.withTimestamps { $0.second })
      .where { $0.id }
      .equalTo { $0.first }
      .window(.tumbling(.seconds(10)))
      .apply(name: "Q8Join") { id, window, people, sellers, out in
        guard !sellers.isEmpty else { return }
        var names = Set<String>()
        for person in people where names.insert(person.name).inserted {
          out.emit(Q8Result(id: id, name: person.name, windowStart: window.start))
        }
      }
  }
}

/// What q8 keeps of a person.
struct NewPerson: Sendable, BinaryCodable {
  var id: Int64
  var name: String
  var dateTime: Int64

  func encode(to writer: inout BinaryWriter) {
    id.encode(to: &writer)
    name.encode(to: &writer)
    dateTime.encode(to: &writer)
  }

  static func decode(from reader: inout BinaryReader) throws(CodecError) -> NewPerson {
    NewPerson(
      id: try .decode(from: &reader), name: try .decode(from: &reader),
      dateTime: try .decode(from: &reader))
  }
}
