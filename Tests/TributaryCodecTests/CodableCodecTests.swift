import Testing
import TributaryCodec

/// Codable but *not* BinaryCodable: exercises the plain `Encodable` paths.
struct Plain: Codable, Equatable, Hashable {
  var label: String
  var weight: Float
}

enum Kind: Codable, Equatable {
  case click(x: Int, y: Int)
  case view(String)
  case idle
}

enum Status: String, Codable {
  case active
  case paused
}

struct Event: Codable, Equatable, BinaryCodable {
  var id: Int64
  var user: String
  var score: Double
  var tags: [String]
  var note: String?
  var previous: Plain?
  var plains: [Plain]
  var byName: [String: Plain]
  var plainSet: Set<Plain>
  var kind: Kind
  var status: Status
  var position: Pair<Int32, UInt8>
  var counts: [Int: Int]
}

func randomEvent(using rng: inout SplitMix64) -> Event {
  func plain() -> Plain {
    Plain(label: randomString(using: &rng), weight: Float(rng.next() % 1000) / 8)
  }
  let kinds: [Kind] = [
    .click(x: Int(truncatingIfNeeded: rng.next()), y: -1), .view(randomString(using: &rng)), .idle,
  ]
  var byName: [String: Plain] = [:]
  for _ in 0..<Int(rng.next() % 4) { byName[randomString(using: &rng)] = plain() }
  return Event(
    id: Int64(bitPattern: rng.next()),
    user: randomString(using: &rng),
    score: Double(Int64(bitPattern: rng.next()) % 10_000) / 3,
    tags: (0..<Int(rng.next() % 4)).map { _ in randomString(using: &rng) },
    note: rng.next() % 2 == 0 ? nil : randomString(using: &rng),
    previous: rng.next() % 2 == 0 ? nil : plain(),
    plains: (0..<Int(rng.next() % 3)).map { _ in plain() },
    byName: byName,
    plainSet: Set((0..<Int(rng.next() % 3)).map { _ in plain() }),
    kind: kinds[Int(rng.next() % 3)],
    status: rng.next() % 2 == 0 ? .active : .paused,
    position: Pair(Int32(truncatingIfNeeded: rng.next()), UInt8(truncatingIfNeeded: rng.next())),
    counts: [1: Int(rng.next() % 9), -7: 0])
}

@Test func codableStructsRoundTrip() {
  var rng = SplitMix64(seed: 41)
  for _ in 0..<propertyCount { expectRoundTrip(randomEvent(using: &rng)) }
}

@Test func codableStructsNestInBinaryContainers() {
  var rng = SplitMix64(seed: 42)
  for _ in 0..<100 {
    let value: [Pair<String, Event?>] = [
      Pair("a", randomEvent(using: &rng)), Pair("b", nil),
    ]
    expectRoundTrip(value)
  }
}

@Test func codableEncodingIsCompactAndPositional() {
  struct Point: Codable, Equatable, BinaryCodable {
    var x: Int32
    var y: Int32
    var label: String?
  }
  // Two fixed-width fields and an Optional tag; no field names.
  #expect(
    Point(x: 1, y: -1, label: nil).encodedBytes()
      == Int32(1).encodedBytes() + Int32(-1).encodedBytes() + [0])
  expectRoundTrip(Point(x: 5, y: 6, label: "p"))
}

@Test func codableDictionaryEncodingIsDeterministic() {
  var rng = SplitMix64(seed: 43)
  for _ in 0..<100 {
    let entries = (0..<20).map { _ in
      (randomString(using: &rng), Plain(label: "v", weight: Float(rng.next() % 7)))
    }
    var a = Event(
      id: 1, user: "u", score: 0, tags: [], note: nil, previous: nil, plains: [], byName: [:],
      plainSet: [], kind: .idle, status: .active, position: Pair(0, 0), counts: [:])
    var b = a
    for (key, value) in entries { a.byName[key] = value }
    b.byName.reserveCapacity(100)
    for (key, value) in entries.reversed() where a.byName[key] == value { b.byName[key] = value }
    for (key, value) in a.byName { b.byName[key] = value }
    a.plainSet = Set(entries.map(\.1))
    b.plainSet = Set(entries.map(\.1).reversed())
    #expect(a == b)
    #expect(a.encodedBytes() == b.encodedBytes())
  }
}

@Test func codableDecodingFailuresAreCodecErrors() {
  let event = Event(
    id: 1, user: "u", score: 0, tags: [], note: nil, previous: nil, plains: [], byName: [:],
    plainSet: [], kind: .view("x"), status: .paused, position: Pair(0, 0), counts: [:])
  var bytes = event.encodedBytes()
  expectRoundTrip(event)
  // Corrupt the enum case name "view" into "vieW".
  let name = Array("view".utf8)
  let at = (0...(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == name }!
  bytes[at + 3] = UInt8(ascii: "W")
  let error = codecError { _ = try Event.decode(bytes) }
  guard case .invalid(let type, let reason) = error else {
    Issue.record("expected .invalid, got \(String(describing: error))")
    return
  }
  #expect(type == "Event")
  #expect(!reason.isEmpty)

  // A raw-value enum with an unknown raw value.
  var statusBytes = Status.paused.encodedBytesViaCodable()
  statusBytes[1] = UInt8(ascii: "X")
  #expect(throws: CodecError.self) { _ = try Wrapper.decode(statusBytes) }
}

struct Wrapper: Codable, BinaryCodable {
  var status: Status
}

extension Status {
  func encodedBytesViaCodable() -> [UInt8] { Wrapper(status: self).encodedBytes() }
}
